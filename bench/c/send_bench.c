/*
 * C reference for bench/send.ts: the same socket setup and the same timed loops as the
 * JavaScript implementations, with nothing between the loop and send(2).
 *
 * Usage: send_bench port=P n10=N nagain=N n64k=N nodelay=0|1 deadline=SECONDS
 *   port: the shared draining peer (drain_peer.c) on 127.0.0.1, which every implementation uses.
 *
 * It sets everything up once, prints `{"ready":true,"fillRounds":n,"port10":p,"port64k":p}` (the
 * local ports of its two draining connections), then runs one timed repetition per
 * command line read from stdin and answers each with one JSON line:
 *   send10   N × send(10 B) on a blocking socket to a draining peer      → {"ns": ns per call}
 *   eagain   N × send(10 B) on a nonblocking socket whose peer never reads → {"ns", "unexpected"}
 *   badf     N × send(-1, 10 B): fails in the fd lookup, the cheapest send → {"ns", "unexpected"}
 *   send0    N × send(0 B) on the 10-byte connection: the send path with no data, no wake-up
 *   gettid   N × gettid(): a syscall with no arguments, to price a bare binding call → {"ns", ...}
 *   send64k  N × send(64 KiB) on a blocking socket to a draining peer    → {"mbps": 1e6 B/s}
 *   quit     closes everything, answers {"bye":true} and exits (so does EOF on stdin).
 * Being driven one repetition at a time lets bench/send.ts interleave C and JavaScript
 * repetitions, so drift on a shared machine hits every implementation alike.
 *
 * Everything is on 127.0.0.1. The draining peer is another process (it never runs on the
 * measuring thread); the peer of the EAGAIN connection is an accepted fd this process holds and
 * never reads. Bounded: loops have counts, blocking sends have SO_SNDTIMEO, alarm(deadline) ends
 * the process, and it dies with its parent (PR_SET_PDEATHSIG).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (64 * 1024)
/* The never-reading peer's SO_RCVBUF (Linux doubles it); bench/setup.ts uses the same value. */
#define PEER_RCVBUF 65536

static long n10 = 100000, nagain = 100000, n64k = 4096, nodelay = 1, deadline = 90, port = 0;

/* Fails loudly: bench/c-ref.ts reads stderr and the exit status, so a broken setup never
 * becomes a number. */
static void die(const char *what) {
  fprintf(stderr, "send_bench: %s: %s\n", what, strerror(errno));
  exit(1);
}

static int64_t now_ns(void) {
  /* CLOCK_MONOTONIC is what process.hrtime.bigint() (uv_hrtime) reads: one clock for both. */
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* A listener on 127.0.0.1 (never another address) with a kernel-chosen port. rcvbuf > 0 fixes
 * SO_RCVBUF for the accepted sockets; it must be set before the handshake, which fixes the
 * window scale. */
static int listener(struct sockaddr_in *addr, int rcvbuf) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) die("socket");
  if (rcvbuf > 0 && setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf) < 0) die("SO_RCVBUF");
  memset(addr, 0, sizeof *addr);
  addr->sin_family = AF_INET;
  addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, (struct sockaddr *)addr, sizeof *addr) < 0) die("bind");
  if (listen(fd, 16) < 0) die("listen");
  socklen_t len = sizeof *addr;
  if (getsockname(fd, (struct sockaddr *)addr, &len) < 0) die("getsockname");
  return fd;
}

/* The sending side, with the options every implementation gets: TCP_NODELAY as asked, and a
 * 5 s send timeout so a blocking send cannot hang the run if the peer dies. Blocking. */
static int client(const struct sockaddr_in *addr) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) die("socket");
  int on = (int)nodelay;
  if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on) < 0) die("TCP_NODELAY");
  struct timeval tv = {5, 0};
  if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) < 0) die("SO_SNDTIMEO");
  if (connect(fd, (const struct sockaddr *)addr, sizeof *addr) < 0) die("connect");
  return fd;
}

/* Fills a nonblocking sender until even a 10-byte send is refused *and stays refused*. The
 * peer's delayed ACK (up to ~40 ms later) frees sent-and-acked memory, after which a few more
 * sends would succeed in the middle of a timed loop. So: fill, and repeat until a round adds
 * nothing and nothing is left unacknowledged (tcpi_unacked == 0). Between rounds, wait on POLLOUT
 * at most 10 ms (a bounded wait on readiness, not a sleep). → the rounds it took, or -1. */
static int fill_until_quiet(int fd, const char *chunk) {
  int64_t start = now_ns();
  for (int round = 0; round < 300 && now_ns() - start < 3000000000LL; round++) {
    long added = 0;
    ssize_t r;
    for (long i = 0; i < 100000 && (r = send(fd, chunk, CHUNK, 0)) > 0; i++) added += r;
    for (long i = 0; i < 1000000 && (r = send(fd, chunk, 10, 0)) > 0; i++) added += r;
    struct tcp_info ti;
    socklen_t len = sizeof ti;
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0) die("TCP_INFO");
    if (added == 0 && ti.tcpi_unacked == 0) return round;
    struct pollfd p = {fd, POLLOUT, 0};
    poll(&p, 1, 10);
  }
  return -1;
}

/* The local port of a connected socket: the draining peer's stats are keyed by it. */
static int local_port(int fd) {
  struct sockaddr_in a;
  socklen_t len = sizeof a;
  if (getsockname(fd, (struct sockaddr *)&a, &len) < 0) die("getsockname");
  return ntohs(a.sin_port);
}

static long arg(const char *s, const char *key, long current) {
  size_t k = strlen(key);
  if (strncmp(s, key, k) == 0 && s[k] == '=') return strtol(s + k + 1, NULL, 10);
  return current;
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    n10 = arg(argv[i], "n10", n10);
    nagain = arg(argv[i], "nagain", nagain);
    n64k = arg(argv[i], "n64k", n64k);
    nodelay = arg(argv[i], "nodelay", nodelay);
    deadline = arg(argv[i], "deadline", deadline);
    port = arg(argv[i], "port", port);
  }
  if (n10 < 1 || nagain < 1 || n64k < 1 || deadline < 1 || port < 1 || port > 65535) {
    fprintf(stderr, "send_bench: bad arguments\n");
    return 2;
  }
  prctl(PR_SET_PDEATHSIG, SIGKILL); /* dies with the node process that spawned it */
  alarm((unsigned)deadline);
  signal(SIGPIPE, SIG_IGN); /* a dead peer must show up as EPIPE from send, not kill us */

  static char chunk[CHUNK];
  char small[10];
  memset(chunk, 'x', sizeof chunk);
  memset(small, 'x', sizeof small);

  struct sockaddr_in daddr; /* the shared draining peer (drain_peer.c) on 127.0.0.1:port */
  memset(&daddr, 0, sizeof daddr);
  daddr.sin_family = AF_INET;
  daddr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  daddr.sin_port = htons((uint16_t)port);

  /* One connection per metric, kept for all repetitions: the buffers are in the same state at the
   * start of every repetition (drained while this process waited for the next command). */
  int fd10 = client(&daddr);
  int fd64k = client(&daddr);

  struct sockaddr_in faddr;
  int fl = listener(&faddr, PEER_RCVBUF);
  int fdfull = client(&faddr);
  int held = accept4(fl, NULL, NULL, SOCK_CLOEXEC);
  if (held < 0) die("accept");
  close(fl);
  if (fcntl(fdfull, F_SETFL, fcntl(fdfull, F_GETFL) | O_NONBLOCK) < 0) die("fcntl");
  int fill_rounds = fill_until_quiet(fdfull, chunk);
  if (fill_rounds < 0) {
    fprintf(stderr, "send_bench: the send buffer never settled full\n");
    return 1;
  }
  printf("{\"ready\":true,\"fillRounds\":%d,\"port10\":%d,\"port64k\":%d}\n", fill_rounds, local_port(fd10),
         local_port(fd64k));
  fflush(stdout);

  char line[64];
  while (fgets(line, sizeof line, stdin) != NULL) {
    long unexpected = 0;
    int64_t t0, t1;
    if (strcmp(line, "send10\n") == 0) {
      t0 = now_ns();
      for (long i = 0; i < n10; i++)
        if (send(fd10, small, sizeof small, 0) != (ssize_t)sizeof small) die("send 10");
      t1 = now_ns();
      printf("{\"ns\":%.3f}\n", (double)(t1 - t0) / (double)n10);
    } else if (strcmp(line, "eagain\n") == 0) {
      t0 = now_ns();
      for (long i = 0; i < nagain; i++)
        if (send(fdfull, small, sizeof small, 0) != -1 || errno != EAGAIN) unexpected++;
      t1 = now_ns();
      printf("{\"ns\":%.3f,\"unexpected\":%ld}\n", (double)(t1 - t0) / (double)nagain, unexpected);
    } else if (strcmp(line, "badf\n") == 0) {
      t0 = now_ns();
      for (long i = 0; i < nagain; i++)
        if (send(-1, small, sizeof small, 0) != -1 || errno != EBADF) unexpected++;
      t1 = now_ns();
      printf("{\"ns\":%.3f,\"unexpected\":%ld}\n", (double)(t1 - t0) / (double)nagain, unexpected);
    } else if (strcmp(line, "send0\n") == 0) {
      t0 = now_ns();
      for (long i = 0; i < nagain; i++)
        if (send(fd10, small, 0, 0) != 0) unexpected++;
      t1 = now_ns();
      printf("{\"ns\":%.3f,\"unexpected\":%ld}\n", (double)(t1 - t0) / (double)nagain, unexpected);
    } else if (strcmp(line, "gettid\n") == 0) {
      t0 = now_ns();
      for (long i = 0; i < nagain; i++)
        if (syscall(SYS_gettid) <= 0) unexpected++;
      t1 = now_ns();
      printf("{\"ns\":%.3f,\"unexpected\":%ld}\n", (double)(t1 - t0) / (double)nagain, unexpected);
    } else if (strcmp(line, "send64k\n") == 0) {
      t0 = now_ns();
      for (long i = 0; i < n64k; i++)
        if (send(fd64k, chunk, CHUNK, 0) != CHUNK) die("send 64k");
      t1 = now_ns();
      printf("{\"mbps\":%.3f}\n", (double)n64k * CHUNK / ((double)(t1 - t0) / 1e9) / 1e6);
    } else if (strcmp(line, "quit\n") == 0) {
      break;
    } else {
      printf("{\"error\":\"unknown command\"}\n");
    }
    fflush(stdout);
  }

  close(fd10);
  close(fd64k);
  close(fdfull);
  close(held);
  printf("{\"bye\":true}\n");
  return 0;
}
