// gomemcache (bradfitz/gomemcache, under Go's memcache session stores) through two SessionMesh
// memcache sockets, with Debian's golang-github-bradfitz-gomemcache-dev.
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go run gomemcache_checks.go SOCKET_A SOCKET_B
//
// Checks, printing one line each and exiting non-zero on the first failure: a session blob set
// through A with a MaxAge TTL reads back through B, Add as a lock across hosts, CompareAndSwap
// (a stale one is a conflict), Increment/Decrement, Touch, GetMulti, Delete (a tombstone through
// both), and a key over 250 bytes refused by the client itself.
package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"

	"github.com/bradfitz/gomemcache/memcache"
)

func check(ok bool, what string) {
	if !ok {
		fmt.Println("FAILED:", what)
		os.Exit(1)
	}
	fmt.Println("ok:", what)
}

func main() {
	a, b := memcache.New(os.Args[1]), memcache.New(os.Args[2])
	raw := make([]byte, 4)
	rand.Read(raw)
	run := hex.EncodeToString(raw) // fresh keys on every run

	blob := bytes.Repeat([]byte("gob-encoded session "), 50)
	id := "session_" + run
	check(a.Set(&memcache.Item{Key: id, Value: blob, Expiration: 1800}) == nil, "session blob set through A (TTL = MaxAge)")
	got, err := b.Get(id)
	check(err == nil && bytes.Equal(got.Value, blob), "identical through B")

	check(a.Add(&memcache.Item{Key: "lock_" + run, Value: []byte("A"), Expiration: 30}) == nil, "Add of a missing key through A")
	check(b.Add(&memcache.Item{Key: "lock_" + run, Value: []byte("B"), Expiration: 30}) == memcache.ErrNotStored, "Add of the same key through B is ErrNotStored")

	item, err := b.Get(id) // carries B's CAS unique
	check(err == nil, "Get through B for a CAS")
	item.Value = []byte("v2")
	check(a.CompareAndSwap(item) == nil, "CompareAndSwap with B's unique through A")
	item.Value = []byte("v3")
	check(b.CompareAndSwap(item) == memcache.ErrCASConflict, "the same unique again is ErrCASConflict")
	got, err = a.Get(id)
	check(err == nil && string(got.Value) == "v2", "the refused swap changed nothing")

	counter := "n_" + run
	check(a.Set(&memcache.Item{Key: counter, Value: []byte("10")}) == nil, "a counter set through A")
	n, err := b.Increment(counter, 5)
	check(err == nil && n == 15, "Increment through B")
	n, err = a.Decrement(counter, 20)
	check(err == nil && n == 0, "Decrement floors at 0")
	_, err = b.Increment("missing_"+run, 1)
	check(err == memcache.ErrCacheMiss, "Increment of a missing counter is ErrCacheMiss")

	check(b.Touch(id, 3600) == nil, "Touch through B")
	check(a.Set(&memcache.Item{Key: "m1_" + run, Value: []byte("one")}) == nil && a.Set(&memcache.Item{Key: "m3_" + run, Value: []byte("three")}) == nil, "two items set")
	multi, err := b.GetMulti([]string{"m1_" + run, "m2_" + run, "m3_" + run})
	check(err == nil && len(multi) == 2 && string(multi["m1_"+run].Value) == "one" && string(multi["m3_"+run].Value) == "three", "GetMulti through B: two hits, the miss left out")

	check(b.Delete(id) == nil, "Delete through B")
	_, err = a.Get(id)
	check(err == memcache.ErrCacheMiss, "the deleted session is ErrCacheMiss through A")
	check(a.Delete(id) == memcache.ErrCacheMiss, "a second Delete is ErrCacheMiss")
	long := string(bytes.Repeat([]byte("k"), 251))
	check(a.Set(&memcache.Item{Key: long, Value: []byte("x")}) == memcache.ErrMalformedKey, "a key over 250 bytes is refused by the client")
	fmt.Println("all gomemcache checks passed")
}
