# Dalli (Ruby's memcached client, binary protocol) and Rack::Session::Dalli through two SessionMesh
# memcache sockets, with Debian's ruby-dalli, ruby-rack and ruby-connection-pool.
#
#   ruby dalli_checks.rb SOCKET_A SOCKET_B
#
# Checks, printing one line each and exiting non-zero on the first failure: hand-off of a Ruby
# object, get_multi (GETKQ... NOOP), add as a lock across hosts, cas blocks (a stale one loses),
# counters with an initial value, touch, delete; then a Rack session started through A continues
# through B, and a logout through B stays a logout through A.
require 'dalli'
require 'connection_pool'
require 'rack'
require 'rack/mock'
require 'rack/session/dalli'
require 'securerandom'

def check(ok, what)
  unless ok
    puts "FAILED: #{what}"
    exit 1
  end
  puts "ok: #{what}"
end

socket_a, socket_b = ARGV
a = Dalli::Client.new(socket_a, socket_timeout: 5)
b = Dalli::Client.new(socket_b, socket_timeout: 5)
run = SecureRandom.hex(4) # fresh keys on every run

cart = { order: 42, items: %w[coffee cake], total: 7.5 }
check(a.set("cart:#{run}", cart, 600), 'set through A')
check(b.get("cart:#{run}") == cart, 'the Ruby object reads back equal through B')

a.set("m1:#{run}", 'one', 600)
a.set("m3:#{run}", 'three', 600)
got = b.get_multi("m1:#{run}", "m2:#{run}", "m3:#{run}")
check(got == { "m1:#{run}" => 'one', "m3:#{run}" => 'three' }, 'get_multi through B: two hits, the miss left out')

check(a.add("lock:#{run}", 'A', 30), 'add of a missing key through A stores')
check(!b.add("lock:#{run}", 'B', 30), 'add of the same key through B does not')
check(b.get("lock:#{run}") == 'A', 'the lock holds A\'s value')

a.set("bal:#{run}", 100, 600)
check(b.cas("bal:#{run}") { |v| v + 5 }, 'a cas block through B applies')
_, stale = a.get_cas("bal:#{run}")
a.set("bal:#{run}", 0, 600)
check(!a.set_cas("bal:#{run}", 999, stale, 600), 'a write with a stale CAS loses')
check(a.get("bal:#{run}") == 0, 'and changes nothing')

check(a.incr("n:#{run}", 1, 600, 10) == 10, 'incr of a missing counter creates it at its initial value')
check(b.incr("n:#{run}", 5) == 15, 'incr through B')
check(a.decr("n:#{run}", 20) == 0, 'decr floors at 0')
check(b.incr("none:#{run}", 1).nil?, 'incr of a missing counter without an initial value is nil')

check(b.touch("cart:#{run}", 1200), 'touch through B')
check(b.delete("cart:#{run}"), 'delete through B')
check(a.get("cart:#{run}").nil?, 'the deleted object is gone through A')

# Rack sessions: the same cookie through two hosts' middleware.
counter = lambda do |env|
  req = Rack::Request.new(env)
  if req.path == '/logout'
    env['rack.session'].clear
    env['rack.session.options'][:drop] = true
  else
    env['rack.session']['n'] = (env['rack.session']['n'] || 0) + 1
  end
  [200, { 'content-type' => 'text/plain' }, [env['rack.session']['n'].to_s]]
end
host_a = Rack::MockRequest.new(Rack::Session::Dalli.new(counter, memcache_server: socket_a, expire_after: 600))
host_b = Rack::MockRequest.new(Rack::Session::Dalli.new(counter, memcache_server: socket_b, expire_after: 600))

first = host_a.get('/')
cookie = first['set-cookie'].to_s.split(';').first
check(first.body == '1' && cookie.start_with?('rack.session='), 'a session starts through host A')
check(host_b.get('/', 'HTTP_COOKIE' => cookie).body == '2', 'it continues through host B')
check(host_a.get('/', 'HTTP_COOKIE' => cookie).body == '3', 'and back through host A')
host_b.get('/logout', 'HTTP_COOKIE' => cookie)
check(host_a.get('/', 'HTTP_COOKIE' => cookie).body == '1', 'a logout through B stays a logout through A (a new session)')
puts 'all Dalli checks passed'
