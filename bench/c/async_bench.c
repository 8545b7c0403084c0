/*
 * The C side of bench/async.ts: epoll-based references and peers, one mode per process.
 *
 *   async_bench echo     deadline=S                     epoll echo server on 127.0.0.1:0; prints
 *                                                       {"port":N}; serves until stdin EOF
 *   async_bench pingpong port=P n=N size=B wait=epoll|block   one connection; prints per-round
 *                                                       {"median":ns,"p99":ns,"rounds":N}
 *   async_bench bulk     port=P n=N                     N nonblocking 64 KiB sends (EAGAIN →
 *                                                       epoll_wait) to a drain peer; {"mbps":…}
 *   async_bench connrate n=N ms=T inflight=K            listener + K nonblocking connects in one
 *                                                       epoll loop: {"rate":conn/s,"count":N}
 *   async_bench small    port=P n=N batch=B             N 10-byte messages, send() each (B=1) or
 *                                                       writev() of B per call; {"rate":msg/s}
 *   async_bench load     port=P conns=N ms=T size=B     N connections to an echo server; prints
 *                                                       {"connected":N}, waits for a stdin line,
 *                                                       then ping-pongs B bytes on each for T ms:
 *                                                       {"echoes":…,"bytes":…,"seconds":…}
 *
 * Every mode alarm()s itself after deadline= seconds (default 60) and dies with its parent
 * (PR_SET_PDEATHSIG). TCP_NODELAY is on for every connection it makes. 127.0.0.1 only.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (64 * 1024)
#define MAX_EVENTS 256

static int argc_g;
static char **argv_g;

static void die(const char *what) {
  fprintf(stderr, "async_bench: %s: %s\n", what, strerror(errno));
  exit(1);
}

static long arg(const char *name, long dflt) {
  size_t n = strlen(name);
  for (int i = 2; i < argc_g; i++)
    if (strncmp(argv_g[i], name, n) == 0 && argv_g[i][n] == '=') return atol(argv_g[i] + n + 1);
  return dflt;
}

static const char *sarg(const char *name, const char *dflt) {
  size_t n = strlen(name);
  for (int i = 2; i < argc_g; i++)
    if (strncmp(argv_g[i], name, n) == 0 && argv_g[i][n] == '=') return argv_g[i] + n + 1;
  return dflt;
}

static int64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static struct sockaddr_in loopback(int port) {
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((uint16_t)port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

static void nodelay(int fd) {
  int one = 1;
  if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) < 0) die("TCP_NODELAY");
}

static int listen_any(int *port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) die("socket");
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = loopback(0);
  if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0) die("bind");
  if (listen(fd, 4096) < 0) die("listen");
  socklen_t len = sizeof a;
  getsockname(fd, (struct sockaddr *)&a, &len);
  *port = ntohs(a.sin_port);
  return fd;
}

/* A blocking connect, then O_NONBLOCK when asked. */
static int connect_to(int port, int nonblock) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) die("socket");
  nodelay(fd);
  struct sockaddr_in a = loopback(port);
  if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) die("connect");
  if (nonblock) fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  return fd;
}

static void ep_add(int ep, int fd, uint32_t events) {
  struct epoll_event ev = {.events = events, .data.fd = fd};
  if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) die("epoll_ctl");
}

/* Waits (epoll, level-triggered) until fd reports `events`. */
static void wait_for(int ep, int fd, uint32_t events) {
  struct epoll_event ev = {.events = events, .data.fd = fd};
  if (epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev) < 0) die("epoll_ctl mod");
  struct epoll_event out;
  for (;;) {
    int n = epoll_wait(ep, &out, 1, 10000);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) die("epoll_wait");
    if (n == 0) {
      errno = ETIMEDOUT;
      die("epoll_wait (10 s)");
    }
    return;
  }
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return x < y ? -1 : x > y;
}

/* ── echo: level-triggered epoll server, one thread ─────────────────────────────────────── */
static int mode_echo(void) {
  int port;
  int lfd = listen_any(&port);
  int ep = epoll_create1(EPOLL_CLOEXEC);
  ep_add(ep, lfd, EPOLLIN);
  /* stdin: EOF ends the server (a pipe from bench/async.ts; not epoll-able when a file). */
  struct epoll_event in = {.events = EPOLLIN, .data.fd = 0};
  epoll_ctl(ep, EPOLL_CTL_ADD, 0, &in);
  printf("{\"port\":%d}\n", port);
  fflush(stdout);
  static char buf[CHUNK];
  struct epoll_event evs[MAX_EVENTS];
  for (;;) {
    int n = epoll_wait(ep, evs, MAX_EVENTS, -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) die("epoll_wait");
    for (int i = 0; i < n; i++) {
      int fd = evs[i].data.fd;
      if (fd == 0) {
        if (read(0, buf, sizeof buf) <= 0) return 0;
      } else if (fd == lfd) {
        for (;;) {
          int c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
          if (c < 0) break;
          nodelay(c);
          ep_add(ep, c, EPOLLIN);
        }
      } else {
        ssize_t r = recv(fd, buf, sizeof buf, 0);
        if (r <= 0) {
          if (r < 0 && errno == EAGAIN) continue;
          close(fd); /* also leaves epoll */
          continue;
        }
        /* Echo it all; a full send buffer (rare: the clients ping-pong) waits right here. */
        for (ssize_t off = 0; off < r;) {
          ssize_t w = send(fd, buf + off, (size_t)(r - off), MSG_NOSIGNAL);
          if (w > 0) off += w;
          else if (w < 0 && errno == EAGAIN) {
            struct epoll_event one = {.events = EPOLLOUT};
            int tmp = epoll_create1(EPOLL_CLOEXEC);
            one.data.fd = fd;
            epoll_ctl(tmp, EPOLL_CTL_ADD, fd, &one);
            epoll_wait(tmp, &one, 1, 1000);
            close(tmp);
          } else {
            close(fd);
            break;
          }
        }
      }
    }
  }
}

/* ── pingpong ────────────────────────────────────────────────────────────────────────────── */
static int mode_pingpong(void) {
  long n = arg("n", 10000), size = arg("size", 16);
  int use_epoll = strcmp(sarg("wait", "epoll"), "epoll") == 0;
  int fd = connect_to((int)arg("port", 0), use_epoll);
  int ep = epoll_create1(EPOLL_CLOEXEC);
  ep_add(ep, fd, EPOLLIN);
  char msg[CHUNK], buf[CHUNK];
  memset(msg, 'p', sizeof msg);
  int64_t *rtt = malloc(sizeof(int64_t) * (size_t)n);
  for (long i = 0; i < n; i++) {
    int64_t t0 = now_ns();
    for (long off = 0; off < size;) {
      ssize_t w = send(fd, msg + off, (size_t)(size - off), MSG_NOSIGNAL);
      if (w > 0) off += w;
      else if (errno == EAGAIN) wait_for(ep, fd, EPOLLOUT);
      else die("send");
    }
    for (long got = 0; got < size;) {
      ssize_t r = recv(fd, buf, (size_t)(size - got), 0);
      if (r > 0) got += r;
      else if (r < 0 && errno == EAGAIN) wait_for(ep, fd, EPOLLIN);
      else die("recv");
    }
    rtt[i] = now_ns() - t0;
  }
  qsort(rtt, (size_t)n, sizeof *rtt, cmp_i64);
  printf("{\"median\":%lld,\"p99\":%lld,\"rounds\":%ld}\n", (long long)rtt[n / 2],
         (long long)rtt[(n * 99) / 100], n);
  close(fd);
  return 0;
}

/* ── bulk ────────────────────────────────────────────────────────────────────────────────── */
static int mode_bulk(void) {
  long n = arg("n", 2048);
  int fd = connect_to((int)arg("port", 0), 1);
  int ep = epoll_create1(EPOLL_CLOEXEC);
  ep_add(ep, fd, EPOLLOUT);
  static char buf[CHUNK];
  memset(buf, 'x', sizeof buf);
  int64_t t0 = now_ns();
  for (long i = 0; i < n; i++) {
    for (size_t off = 0; off < CHUNK;) {
      ssize_t w = send(fd, buf + off, CHUNK - off, MSG_NOSIGNAL);
      if (w > 0) off += (size_t)w;
      else if (errno == EAGAIN) wait_for(ep, fd, EPOLLOUT);
      else die("send");
    }
  }
  double s = (double)(now_ns() - t0) / 1e9;
  printf("{\"mbps\":%.1f}\n", (double)n * CHUNK / s / 1e6);
  close(fd);
  return 0;
}

/* ── connrate: accept side and connect side in one epoll loop ────────────────────────────── */
static int mode_connrate(void) {
  long n = arg("n", 20000), ms = arg("ms", 5000), inflight = arg("inflight", 64);
  int port;
  int lfd = listen_any(&port);
  int ep = epoll_create1(EPOLL_CLOEXEC);
  ep_add(ep, lfd, EPOLLIN);
  struct sockaddr_in a = loopback(port);
  long started = 0, connected = 0, accepted = 0, pending = 0;
  int64_t t0 = now_ns(), end = t0 + ms * 1000000LL;
  struct epoll_event evs[MAX_EVENTS];
  for (;;) {
    int64_t t = now_ns();
    int more = started < n && t < end;
    while (more && pending < inflight) {
      int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (fd < 0) die("socket");
      started++;
      int rc = connect(fd, (struct sockaddr *)&a, sizeof a);
      if (rc == 0) {
        connected++;
        close(fd);
        continue;
      }
      if (errno != EINPROGRESS) die("connect");
      pending++;
      ep_add(ep, fd, EPOLLOUT);
      more = started < n;
    }
    if (!more && pending == 0 && accepted >= connected) break;
    int k = epoll_wait(ep, evs, MAX_EVENTS, 1000);
    if (k < 0 && errno == EINTR) continue;
    if (k < 0) die("epoll_wait");
    if (k == 0 && now_ns() > end + 5000000000LL) break; /* give up on stragglers */
    for (int i = 0; i < k; i++) {
      int fd = evs[i].data.fd;
      if (fd == lfd) {
        int c;
        while ((c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
          accepted++;
          close(c);
        }
      } else {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0) {
          errno = err;
          die("connect (SO_ERROR)");
        }
        connected++;
        pending--;
        close(fd);
      }
    }
  }
  double s = (double)(now_ns() - t0) / 1e9;
  printf("{\"rate\":%.1f,\"count\":%ld,\"accepted\":%ld}\n", (double)connected / s, connected,
         accepted);
  return 0;
}

/* ── small: 10-byte messages, one send() each or a writev() of `batch` ───────────────────── */
static int mode_small(void) {
  long n = arg("n", 500000), batch = arg("batch", 1);
  if (batch < 1 || batch > 1024) batch = 1;
  int fd = connect_to((int)arg("port", 0), 1);
  int ep = epoll_create1(EPOLL_CLOEXEC);
  ep_add(ep, fd, EPOLLOUT);
  char msg[10];
  memset(msg, 'm', sizeof msg);
  struct iovec iov[1024];
  int64_t t0 = now_ns();
  long sent_msgs = 0;
  while (sent_msgs < n) {
    long k = n - sent_msgs < batch ? n - sent_msgs : batch;
    size_t total = (size_t)k * sizeof msg;
    ssize_t w;
    if (batch == 1) {
      w = send(fd, msg, sizeof msg, MSG_NOSIGNAL);
    } else {
      for (long i = 0; i < k; i++) iov[i] = (struct iovec){msg, sizeof msg};
      w = writev(fd, iov, (int)k);
    }
    if (w < 0) {
      if (errno != EAGAIN) die("send/writev");
      wait_for(ep, fd, EPOLLOUT);
      continue;
    }
    /* Partial: finish the cut message with send(), the rest goes in the next call. */
    size_t done = (size_t)w;
    if (done % sizeof msg != 0) {
      size_t off = done % sizeof msg;
      while (off < sizeof msg) {
        ssize_t r = send(fd, msg + off, sizeof msg - off, MSG_NOSIGNAL);
        if (r > 0) off += (size_t)r;
        else if (errno == EAGAIN) wait_for(ep, fd, EPOLLOUT);
        else die("send");
      }
      done += sizeof msg - (done % sizeof msg);
    }
    (void)total;
    sent_msgs += (long)(done / sizeof msg);
  }
  double s = (double)(now_ns() - t0) / 1e9;
  printf("{\"rate\":%.1f}\n", (double)n / s);
  close(fd);
  return 0;
}

/* ── load: N echo connections, each ping-ponging `size` bytes ────────────────────────────── */
struct lconn {
  int fd;
  int got;
};

static int mode_load(void) {
  long conns = arg("conns", 10000), ms = arg("ms", 3000), size = arg("size", 64);
  int port = (int)arg("port", 0);
  struct lconn *cs = calloc((size_t)conns, sizeof *cs);
  int ep = epoll_create1(EPOLL_CLOEXEC);
  struct sockaddr_in a = loopback(port);
  /* Connect all, at most 256 in flight so the server's accept backlog never overflows. */
  long opened = 0, connected = 0, inflight = 0;
  struct epoll_event evs[MAX_EVENTS];
  int64_t give_up = now_ns() + 20000000000LL;
  while (connected < conns) {
    while (opened < conns && inflight < 256) {
      int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (fd < 0) die("socket (is RLIMIT_NOFILE raised?)");
      nodelay(fd);
      cs[opened].fd = fd;
      int rc = connect(fd, (struct sockaddr *)&a, sizeof a);
      if (rc < 0 && errno != EINPROGRESS) die("connect");
      struct epoll_event ev = {.events = EPOLLOUT, .data.u64 = (uint64_t)opened};
      if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) die("epoll_ctl");
      opened++;
      inflight++;
    }
    int k = epoll_wait(ep, evs, MAX_EVENTS, 1000);
    if (k < 0 && errno != EINTR) die("epoll_wait");
    if (now_ns() > give_up) {
      errno = ETIMEDOUT;
      die("connecting");
    }
    for (int i = 0; i < k; i++) {
      struct lconn *c = &cs[evs[i].data.u64];
      int err = 0;
      socklen_t len = sizeof err;
      getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err != 0) {
        errno = err;
        die("connect (SO_ERROR)");
      }
      struct epoll_event ev = {.events = EPOLLIN, .data.u64 = evs[i].data.u64};
      epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
      connected++;
      inflight--;
    }
  }
  printf("{\"connected\":%ld}\n", connected);
  fflush(stdout);
  char line[64];
  if (fgets(line, sizeof line, stdin) == NULL) return 0;

  static char msg[CHUNK], buf[CHUNK];
  memset(msg, 'e', sizeof msg);
  long long echoes = 0, bytes = 0;
  int64_t t0 = now_ns(), end = t0 + ms * 1000000LL;
  for (long i = 0; i < conns; i++)
    if (send(cs[i].fd, msg, (size_t)size, MSG_NOSIGNAL) != size) die("send (first)");
  while (now_ns() < end) {
    int k = epoll_wait(ep, evs, MAX_EVENTS, 100);
    if (k < 0 && errno != EINTR) die("epoll_wait");
    for (int i = 0; i < k; i++) {
      struct lconn *c = &cs[evs[i].data.u64];
      ssize_t r = recv(c->fd, buf, sizeof buf, 0);
      if (r <= 0) {
        if (r < 0 && errno == EAGAIN) continue;
        die("recv (server closed a connection)");
      }
      c->got += (int)r;
      bytes += r;
      if (c->got >= size) {
        c->got -= (int)size;
        echoes++;
        if (send(c->fd, msg, (size_t)size, MSG_NOSIGNAL) != size) die("send");
      }
    }
  }
  double s = (double)(now_ns() - t0) / 1e9;
  printf("{\"echoes\":%lld,\"bytes\":%lld,\"seconds\":%.3f}\n", echoes, bytes, s);
  fflush(stdout);
  /* Hold the connections until stdin says so (or EOF), so the server's RSS can be read. */
  if (fgets(line, sizeof line, stdin) == NULL) return 0;
  for (long i = 0; i < conns; i++) close(cs[i].fd);
  printf("{\"closed\":%ld}\n", conns);
  return 0;
}

int main(int argc, char **argv) {
  argc_g = argc;
  argv_g = argv;
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() == 1) return 1;
  signal(SIGPIPE, SIG_IGN);
  alarm((unsigned)arg("deadline", 60));
  setvbuf(stdout, NULL, _IOLBF, 0);
  const char *mode = argc > 1 ? argv[1] : "";
  if (strcmp(mode, "echo") == 0) return mode_echo();
  if (strcmp(mode, "pingpong") == 0) return mode_pingpong();
  if (strcmp(mode, "bulk") == 0) return mode_bulk();
  if (strcmp(mode, "connrate") == 0) return mode_connrate();
  if (strcmp(mode, "small") == 0) return mode_small();
  if (strcmp(mode, "load") == 0) return mode_load();
  fprintf(stderr, "usage: async_bench echo|pingpong|bulk|connrate|small|load key=value…\n");
  return 2;
}
