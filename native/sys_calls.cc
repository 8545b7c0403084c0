// See sys_calls.h. Each body is the same three lines: the call, errno on the next line if the
// call returned -1, and the result. No retries: EINTR is returned to the caller like any other
// errno, because hiding it would hide a signal the caller may be waiting for.
#include "sys_calls.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/syscall.h>
#endif

namespace syssock {

#define SYSSOCK_RETURN(expr)                  \
  do {                                        \
    auto syssock_result_ = (expr);            \
    if (syssock_result_ == -1) return -errno; \
    return syssock_result_;                   \
  } while (0)

int sys_socket(int domain, int type, int protocol) {
  SYSSOCK_RETURN(::socket(domain, type, protocol));
}

int sys_socketpair(int domain, int type, int protocol, int sv[2]) {
  SYSSOCK_RETURN(::socketpair(domain, type, protocol, sv));
}

int sys_bind(int fd, const sockaddr* addr, socklen_t len) { SYSSOCK_RETURN(::bind(fd, addr, len)); }

int sys_listen(int fd, int backlog) { SYSSOCK_RETURN(::listen(fd, backlog)); }

int sys_accept(int fd, sockaddr* addr, socklen_t* len) { SYSSOCK_RETURN(::accept(fd, addr, len)); }

int sys_accept4(int fd, sockaddr* addr, socklen_t* len, int flags) {
#if defined(__linux__)
  SYSSOCK_RETURN(::accept4(fd, addr, len, flags));
#else
  (void)fd, (void)addr, (void)len, (void)flags;
  return -ENOSYS;
#endif
}

int sys_connect(int fd, const sockaddr* addr, socklen_t len) {
  SYSSOCK_RETURN(::connect(fd, addr, len));
}

ssize_t sys_send(int fd, const void* buf, size_t len, int flags) {
  SYSSOCK_RETURN(::send(fd, buf, len, flags));
}

ssize_t sys_recv(int fd, void* buf, size_t len, int flags) {
  SYSSOCK_RETURN(::recv(fd, buf, len, flags));
}

ssize_t sys_writev(int fd, const iovec* iov, int iovcnt) {
  SYSSOCK_RETURN(::writev(fd, iov, iovcnt));
}

ssize_t sys_sendto(int fd, const void* buf, size_t len, int flags, const sockaddr* addr,
                   socklen_t addrlen) {
  SYSSOCK_RETURN(::sendto(fd, buf, len, flags, addr, addrlen));
}

ssize_t sys_recvfrom(int fd, void* buf, size_t len, int flags, sockaddr* addr, socklen_t* addrlen) {
  SYSSOCK_RETURN(::recvfrom(fd, buf, len, flags, addr, addrlen));
}

int sys_shutdown(int fd, int how) { SYSSOCK_RETURN(::shutdown(fd, how)); }

// close(2) is never retried: on Linux the fd is released even when close reports EINTR, so a
// retry could close a descriptor that another thread has just been given.
int sys_close(int fd) { SYSSOCK_RETURN(::close(fd)); }

int sys_fcntl(int fd, int cmd, int arg) { SYSSOCK_RETURN(::fcntl(fd, cmd, arg)); }

int sys_ioctl_int(int fd, unsigned long request, int* arg) {
  SYSSOCK_RETURN(::ioctl(fd, request, arg));
}

int sys_getsockopt(int fd, int level, int optname, void* optval, socklen_t* optlen) {
  SYSSOCK_RETURN(::getsockopt(fd, level, optname, optval, optlen));
}

int sys_setsockopt(int fd, int level, int optname, const void* optval, socklen_t optlen) {
  SYSSOCK_RETURN(::setsockopt(fd, level, optname, optval, optlen));
}

int sys_getsockname(int fd, sockaddr* addr, socklen_t* len) {
  SYSSOCK_RETURN(::getsockname(fd, addr, len));
}

int sys_getpeername(int fd, sockaddr* addr, socklen_t* len) {
  SYSSOCK_RETURN(::getpeername(fd, addr, len));
}

int sys_poll(pollfd* fds, nfds_t nfds, int timeout) { SYSSOCK_RETURN(::poll(fds, nfds, timeout)); }

int sys_signal_disposition(int signum, bool ignore) {
  struct sigaction action = {};
  action.sa_handler = ignore ? SIG_IGN : SIG_DFL;
  sigemptyset(&action.sa_mask);
  SYSSOCK_RETURN(::sigaction(signum, &action, nullptr));
}

int sys_gettid() {
#if defined(__linux__)
  // glibc < 2.30 has no gettid() wrapper; the raw syscall works everywhere on Linux.
  SYSSOCK_RETURN(static_cast<int>(::syscall(SYS_gettid)));
#else
  return -ENOSYS;
#endif
}

#undef SYSSOCK_RETURN

}  // namespace syssock
