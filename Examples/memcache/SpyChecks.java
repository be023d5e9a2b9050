// spymemcached (the client under Tomcat's memcached-session-manager, MSM) through two SessionMesh
// memcache TCP listeners, in both of its protocols, with Debian's libspymemcached-java.
//
//   javac -cp /usr/share/java/spymemcached.jar -d OUT SpyChecks.java
//   java -cp OUT:/usr/share/java/spymemcached.jar SpyChecks PORT_A PORT_B
//
// Checks, printing one line each and exiting non-zero on the first failure: hand-off of session
// bytes, MSM's lock (add lock:<id> with an expiry, released by delete) across hosts, gets/cas (a
// stale CAS is EXISTS), counters with a default, touch, getBulk, and delete.
import java.util.Arrays;
import java.util.Map;
import java.util.UUID;

import net.spy.memcached.AddrUtil;
import net.spy.memcached.CASResponse;
import net.spy.memcached.CASValue;
import net.spy.memcached.ConnectionFactoryBuilder;
import net.spy.memcached.MemcachedClient;

public class SpyChecks {
    static void check(boolean ok, String what) {
        if (!ok) {
            System.out.println("FAILED: " + what);
            System.exit(1);
        }
        System.out.println("ok: " + what);
    }

    static MemcachedClient client(String port, ConnectionFactoryBuilder.Protocol protocol) throws Exception {
        ConnectionFactoryBuilder builder = new ConnectionFactoryBuilder().setProtocol(protocol).setOpTimeout(5000);
        return new MemcachedClient(builder.build(), AddrUtil.getAddresses("127.0.0.1:" + port));
    }

    public static void main(String[] args) {
        // Any exception ends the run at once: spymemcached's IO threads would keep the JVM alive.
        try {
            run(args);
        } catch (Throwable t) {
            System.out.println("FAILED: " + t);
            System.exit(1);
        }
        System.exit(0);
    }

    static void run(String[] args) throws Exception {
        for (ConnectionFactoryBuilder.Protocol protocol : ConnectionFactoryBuilder.Protocol.values()) {
            String p = protocol.name().toLowerCase();
            MemcachedClient a = client(args[0], protocol), b = client(args[1], protocol);
            String run = UUID.randomUUID().toString().substring(0, 8) + p;

            byte[] session = new byte[2048];
            for (int i = 0; i < session.length; i++) session[i] = (byte) i;
            String id = "msm-" + run;
            check(a.set(id, 1800, session).get(), p + ": session bytes set through A");
            check(Arrays.equals((byte[]) b.get(id), session), p + ": identical through B");

            check(a.add("lock:" + id, 5, "locked").get(), p + ": MSM lock taken through A");
            check(!b.add("lock:" + id, 5, "locked").get(), p + ": the same lock refused through B");
            check(a.delete("lock:" + id).get(), p + ": lock released through A");
            check(b.add("lock:" + id, 5, "locked").get(), p + ": and taken through B");

            CASValue<Object> current = b.gets(id);
            check(current != null, p + ": gets through B");
            check(a.cas(id, current.getCas(), "v2") == CASResponse.OK, p + ": cas with B's unique through A");
            check(b.cas(id, current.getCas(), "v3") == CASResponse.EXISTS, p + ": the same unique again is EXISTS");
            check("v2".equals(b.get(id)), p + ": the refused cas changed nothing");

            String counter = "n-" + run;
            check(a.incr(counter, 1, 10, 600) == 10, p + ": incr of a missing counter with a default creates it");
            check(b.incr(counter, 5) == 15, p + ": incr through B");
            check(a.decr(counter, 20) == 0, p + ": decr floors at 0");

            check(b.touch(id, 3600).get(), p + ": touch through B");
            a.set("bulk1-" + run, 600, "one").get();
            a.set("bulk3-" + run, 600, "three").get();
            Map<String, Object> bulk = b.getBulk("bulk1-" + run, "bulk2-" + run, "bulk3-" + run);
            check(bulk.size() == 2 && "one".equals(bulk.get("bulk1-" + run)) && "three".equals(bulk.get("bulk3-" + run)),
                  p + ": getBulk through B: two hits, the miss left out");

            check(b.delete(id).get(), p + ": delete through B");
            check(a.get(id) == null, p + ": the deleted session is gone through A");
            a.shutdown();
            b.shutdown();
        }
        System.out.println("all spymemcached checks passed");
    }
}
