<?php
// A stock PHP session handler (php-memcached, session.save_handler=memcached) pointed at a
// SessionMesh memcache socket: increments $_SESSION['n'] N times, each in its own locked
// session_start()/session_write_close(), as N requests of one user would.
//
//   php php_session_counter.php SOCKET SESSION_ID N [binary=1|0]       (prints the final n)
//   php php_session_counter.php SOCKET SESSION_ID destroy [binary]     (session_destroy())
//   php php_session_counter.php SOCKET SESSION_ID read [binary]        (prints n, or "none")
ob_start();
[$socket, $sid, $what] = [$argv[1], $argv[2], $argv[3]];
$binary = $argv[4] ?? '1';
ini_set('session.save_handler', 'memcached');
ini_set('session.save_path', $socket);
ini_set('memcached.sess_binary_protocol', $binary);
ini_set('memcached.sess_locking', '1');
// Two hosts contend for one session: wait for the lock rather than give up after 0.75 s.
ini_set('memcached.sess_lock_wait_min', '2');
ini_set('memcached.sess_lock_wait_max', '20');
ini_set('memcached.sess_lock_retries', '2000');
ini_set('session.use_cookies', '0');
ini_set('session.use_strict_mode', '0');
ini_set('session.cache_limiter', '');
ini_set('session.gc_maxlifetime', '1440');

function open_session($sid) {
    session_id($sid);
    if (!session_start()) { fwrite(STDERR, "session_start failed\n"); exit(2); }
}

if ($what === 'destroy') {
    open_session($sid);
    session_destroy();
    exit(0);
}
if ($what === 'read') {
    open_session($sid);
    echo isset($_SESSION['n']) ? $_SESSION['n'] : 'none', "\n";
    session_write_close();
    exit(0);
}
for ($i = 0; $i < (int)$what; $i++) {
    open_session($sid);
    $_SESSION['n'] = ($_SESSION['n'] ?? 0) + 1;
    $_SESSION['card'] = '4111111111111111';
    if (!session_write_close()) { fwrite(STDERR, "session_write_close failed\n"); exit(3); }
}
open_session($sid);
echo $_SESSION['n'], "\n";
session_write_close();
