/*
 * The draining peer for bench/send.ts, shared by all four implementations (C, sys.send,
 * Socket.send, node:net) so the receiver is never a variable between them.
 *
 * Usage: drain_peer deadline=SECONDS
 *
 * Listens on 127.0.0.1 with a kernel-chosen port and prints `{"port":N}`. Each accepted
 * connection gets its own thread reading it with blocking 64 KiB recv() until EOF: "one reader
 * blocked in recv" for every sender. (A single poll()-based reader sleeps and wakes more often,
 * and a small send pays for each wake-up: in a trial here it made C's own 10-byte send ~3×
 * slower.)
 *
 * stdin commands: "stats" prints per-connection counters (see print_stats); "quit" or EOF prints
 * them once more and exits. It also ends on alarm(deadline) or when its parent dies
 * (PR_SET_PDEATHSIG).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define CHUNK (64 * 1024)
#define MAX_CONNECTIONS 64

/* Per connection, for the `stats` command: how many recv() calls returned data. For a stream of
 * small sends that is about how often the reader had to be woken up, which a sender pays for. */
struct conn {
  int port; /* the sender's port: how bench/send.ts tells its connections apart */
  atomic_llong recvs;
  atomic_llong bytes;
};
static struct conn conns[MAX_CONNECTIONS];
static atomic_int nconns;

static void die(const char *what) {
  fprintf(stderr, "drain_peer: %s: %s\n", what, strerror(errno));
  exit(1);
}

struct reader_arg {
  int fd;
  struct conn *conn;
};

static void *reader(void *arg) {
  struct reader_arg a = *(struct reader_arg *)arg;
  free(arg);
  int fd = a.fd;
  char *buf = malloc(CHUNK);
  if (buf == NULL) die("malloc");
  for (;;) {
    ssize_t r = recv(fd, buf, CHUNK, 0);
    if (r > 0) {
      atomic_fetch_add_explicit(&a.conn->recvs, 1, memory_order_relaxed);
      atomic_fetch_add_explicit(&a.conn->bytes, r, memory_order_relaxed);
      continue;
    }
    if (r < 0 && errno == EINTR) continue;
    break; /* EOF, or a reset from a sender that went away */
  }
  close(fd);
  free(buf);
  return NULL;
}

/* One JSON line: {"connections":[{"port":p,"recvs":n,"bytes":b},...]}. */
static void print_stats(void) {
  int n = atomic_load(&nconns);
  printf("{\"connections\":[");
  for (int i = 0; i < n; i++)
    printf("%s{\"port\":%d,\"recvs\":%lld,\"bytes\":%lld}", i ? "," : "", conns[i].port,
           (long long)atomic_load_explicit(&conns[i].recvs, memory_order_relaxed),
           (long long)atomic_load_explicit(&conns[i].bytes, memory_order_relaxed));
  printf("]}\n");
  fflush(stdout);
}

int main(int argc, char **argv) {
  long deadline = 90;
  for (int i = 1; i < argc; i++)
    if (strncmp(argv[i], "deadline=", 9) == 0) deadline = strtol(argv[i] + 9, NULL, 10);
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  alarm((unsigned)(deadline > 0 ? deadline : 90));

  int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (lfd < 0) die("socket");
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK); /* 127.0.0.1 only */
  if (bind(lfd, (struct sockaddr *)&addr, sizeof addr) < 0) die("bind");
  if (listen(lfd, 64) < 0) die("listen");
  socklen_t len = sizeof addr;
  if (getsockname(lfd, (struct sockaddr *)&addr, &len) < 0) die("getsockname");
  printf("{\"port\":%d}\n", ntohs(addr.sin_port));
  fflush(stdout);

  /* The main thread waits on both the listener and stdin, so the parent can always stop it. */
  struct pollfd p[2] = {{lfd, POLLIN, 0}, {STDIN_FILENO, POLLIN, 0}};
  for (;;) {
    if (poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      die("poll");
    }
    if (p[1].revents != 0) {
      char line[16];
      ssize_t r = read(STDIN_FILENO, line, sizeof line);
      if (r <= 0 || strncmp(line, "quit", 4) == 0) break;
      if (strncmp(line, "stats", 5) == 0) print_stats();
    }
    if (p[0].revents & POLLIN) {
      struct sockaddr_in from;
      socklen_t fromlen = sizeof from;
      int fd = accept4(lfd, (struct sockaddr *)&from, &fromlen, SOCK_CLOEXEC);
      if (fd < 0) continue;
      int i = atomic_load(&nconns);
      struct reader_arg *arg = malloc(sizeof *arg);
      if (i >= MAX_CONNECTIONS || arg == NULL) {
        close(fd);
        free(arg);
        continue;
      }
      conns[i].port = ntohs(from.sin_port);
      arg->fd = fd;
      arg->conn = &conns[i];
      atomic_store(&nconns, i + 1); /* the entry is complete before stats can see it */
      pthread_t t;
      if (pthread_create(&t, NULL, reader, arg) != 0) die("pthread_create");
      pthread_detach(t);
    }
  }
  print_stats();
  /* Readers still blocked in recv end with the process; the senders are closed by then. */
  return 0;
}
