// The syscalls themselves, in plain C++ with no Node-API in sight.
//
// Every function makes exactly one syscall and returns what the kernel returned on success, or
// -errno on failure. errno is read on the line right after the call, in code that calls nothing
// else, so no allocation, logging or N-API call can overwrite it (libuv's UV__ERR rule).
#ifndef SYSSOCK_SYS_CALLS_H_
#define SYSSOCK_SYS_CALLS_H_

#include <poll.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <cstddef>

namespace syssock {

int sys_socket(int domain, int type, int protocol);
int sys_socketpair(int domain, int type, int protocol, int sv[2]);
int sys_bind(int fd, const sockaddr* addr, socklen_t len);
int sys_listen(int fd, int backlog);
int sys_accept(int fd, sockaddr* addr, socklen_t* len);
// accept4(2) exists on Linux only; elsewhere this returns -ENOSYS without a syscall.
int sys_accept4(int fd, sockaddr* addr, socklen_t* len, int flags);
int sys_connect(int fd, const sockaddr* addr, socklen_t len);
ssize_t sys_send(int fd, const void* buf, size_t len, int flags);
ssize_t sys_recv(int fd, void* buf, size_t len, int flags);
// writev(2): the iovecs point into the caller's buffers (nothing copied).
ssize_t sys_writev(int fd, const iovec* iov, int iovcnt);
ssize_t sys_sendto(int fd, const void* buf, size_t len, int flags, const sockaddr* addr,
                   socklen_t addrlen);
ssize_t sys_recvfrom(int fd, void* buf, size_t len, int flags, sockaddr* addr, socklen_t* addrlen);
int sys_shutdown(int fd, int how);
int sys_close(int fd);
int sys_fcntl(int fd, int cmd, int arg);
int sys_ioctl_int(int fd, unsigned long request, int* arg);
int sys_getsockopt(int fd, int level, int optname, void* optval, socklen_t* optlen);
int sys_setsockopt(int fd, int level, int optname, const void* optval, socklen_t optlen);
int sys_getsockname(int fd, sockaddr* addr, socklen_t* len);
int sys_getpeername(int fd, sockaddr* addr, socklen_t* len);
int sys_poll(pollfd* fds, nfds_t nfds, int timeout);
// sigaction(2) setting signum's disposition to SIG_DFL (ignore = false) or SIG_IGN (ignore = true).
int sys_signal_disposition(int signum, bool ignore);
// gettid(2) on Linux; -ENOSYS elsewhere.
int sys_gettid();

}  // namespace syssock

#endif  // SYSSOCK_SYS_CALLS_H_
