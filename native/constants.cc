// Every constant syssock exports, as a table: one line per name, each value taken from the
// platform headers when the addon is built. A name this platform does not define is absent from
// the exported object rather than given a made-up number (hence one #ifdef per entry).
#include "constants.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#if defined(__linux__)
#include <linux/sockios.h>
#include <sys/syscall.h>
#endif

namespace syssock {

namespace {

void Add(Napi::Env env, Napi::Object target, const char* name, double value) {
  target.Set(name, Napi::Number::New(env, value));
}

// strerror_r has two signatures (GNU returns a pointer, XSI an int); these overloads accept both.
[[maybe_unused]] const char* StrerrorResult(int rc, const char* buf) {
  return rc == 0 ? buf : nullptr;
}
[[maybe_unused]] const char* StrerrorResult(const char* message, const char*) { return message; }

}  // namespace

void AddConstants(Napi::Env env, Napi::Object target) {
#define C(name) Add(env, target, #name, static_cast<double>(name))
#ifdef AF_UNSPEC
  C(AF_UNSPEC);
#endif
#ifdef AF_INET
  C(AF_INET);
#endif
#ifdef AF_INET6
  C(AF_INET6);
#endif
#ifdef AF_UNIX
  C(AF_UNIX);
#endif
#ifdef AF_LOCAL
  C(AF_LOCAL);
#endif
#ifdef AF_PACKET
  C(AF_PACKET);
#endif
#ifdef AF_NETLINK
  C(AF_NETLINK);
#endif
#ifdef SOCK_STREAM
  C(SOCK_STREAM);
#endif
#ifdef SOCK_DGRAM
  C(SOCK_DGRAM);
#endif
#ifdef SOCK_SEQPACKET
  C(SOCK_SEQPACKET);
#endif
#ifdef SOCK_RAW
  C(SOCK_RAW);
#endif
#ifdef SOCK_NONBLOCK
  C(SOCK_NONBLOCK);
#endif
#ifdef SOCK_CLOEXEC
  C(SOCK_CLOEXEC);
#endif
#ifdef SOL_SOCKET
  C(SOL_SOCKET);
#endif
#ifdef SOL_TCP
  C(SOL_TCP);
#endif
#ifdef SOL_UDP
  C(SOL_UDP);
#endif
#ifdef SOL_IP
  C(SOL_IP);
#endif
#ifdef SOL_IPV6
  C(SOL_IPV6);
#endif
#ifdef IPPROTO_IP
  C(IPPROTO_IP);
#endif
#ifdef IPPROTO_IPV6
  C(IPPROTO_IPV6);
#endif
#ifdef IPPROTO_TCP
  C(IPPROTO_TCP);
#endif
#ifdef IPPROTO_UDP
  C(IPPROTO_UDP);
#endif
#ifdef IPPROTO_ICMP
  C(IPPROTO_ICMP);
#endif
#ifdef IPPROTO_ICMPV6
  C(IPPROTO_ICMPV6);
#endif
#ifdef IPPROTO_RAW
  C(IPPROTO_RAW);
#endif
#ifdef SO_ERROR
  C(SO_ERROR);
#endif
#ifdef SO_TYPE
  C(SO_TYPE);
#endif
#ifdef SO_DOMAIN
  C(SO_DOMAIN);
#endif
#ifdef SO_PROTOCOL
  C(SO_PROTOCOL);
#endif
#ifdef SO_ACCEPTCONN
  C(SO_ACCEPTCONN);
#endif
#ifdef SO_SNDBUF
  C(SO_SNDBUF);
#endif
#ifdef SO_RCVBUF
  C(SO_RCVBUF);
#endif
#ifdef SO_SNDBUFFORCE
  C(SO_SNDBUFFORCE);
#endif
#ifdef SO_RCVBUFFORCE
  C(SO_RCVBUFFORCE);
#endif
#ifdef SO_SNDLOWAT
  C(SO_SNDLOWAT);
#endif
#ifdef SO_RCVLOWAT
  C(SO_RCVLOWAT);
#endif
#ifdef SO_SNDTIMEO
  C(SO_SNDTIMEO);
#endif
#ifdef SO_RCVTIMEO
  C(SO_RCVTIMEO);
#endif
#ifdef SO_REUSEADDR
  C(SO_REUSEADDR);
#endif
#ifdef SO_REUSEPORT
  C(SO_REUSEPORT);
#endif
#ifdef SO_KEEPALIVE
  C(SO_KEEPALIVE);
#endif
#ifdef SO_BROADCAST
  C(SO_BROADCAST);
#endif
#ifdef SO_LINGER
  C(SO_LINGER);
#endif
#ifdef SO_OOBINLINE
  C(SO_OOBINLINE);
#endif
#ifdef SO_DONTROUTE
  C(SO_DONTROUTE);
#endif
#ifdef SO_PRIORITY
  C(SO_PRIORITY);
#endif
#ifdef SO_MARK
  C(SO_MARK);
#endif
#ifdef SO_BINDTODEVICE
  C(SO_BINDTODEVICE);
#endif
#ifdef SO_BUSY_POLL
  C(SO_BUSY_POLL);
#endif
#ifdef SO_INCOMING_CPU
  C(SO_INCOMING_CPU);
#endif
#ifdef SO_PEEK_OFF
  C(SO_PEEK_OFF);
#endif
#ifdef SO_ZEROCOPY
  C(SO_ZEROCOPY);
#endif
#ifdef SO_NOSIGPIPE
  C(SO_NOSIGPIPE);
#endif
#ifdef TCP_NODELAY
  C(TCP_NODELAY);
#endif
#ifdef TCP_MAXSEG
  C(TCP_MAXSEG);
#endif
#ifdef TCP_CORK
  C(TCP_CORK);
#endif
#ifdef TCP_KEEPIDLE
  C(TCP_KEEPIDLE);
#endif
#ifdef TCP_KEEPINTVL
  C(TCP_KEEPINTVL);
#endif
#ifdef TCP_KEEPCNT
  C(TCP_KEEPCNT);
#endif
#ifdef TCP_KEEPALIVE
  C(TCP_KEEPALIVE);
#endif
#ifdef TCP_SYNCNT
  C(TCP_SYNCNT);
#endif
#ifdef TCP_LINGER2
  C(TCP_LINGER2);
#endif
#ifdef TCP_DEFER_ACCEPT
  C(TCP_DEFER_ACCEPT);
#endif
#ifdef TCP_WINDOW_CLAMP
  C(TCP_WINDOW_CLAMP);
#endif
#ifdef TCP_INFO
  C(TCP_INFO);
#endif
#ifdef TCP_QUICKACK
  C(TCP_QUICKACK);
#endif
#ifdef TCP_CONGESTION
  C(TCP_CONGESTION);
#endif
#ifdef TCP_USER_TIMEOUT
  C(TCP_USER_TIMEOUT);
#endif
#ifdef TCP_NOTSENT_LOWAT
  C(TCP_NOTSENT_LOWAT);
#endif
#ifdef TCP_FASTOPEN
  C(TCP_FASTOPEN);
#endif
#ifdef IP_TOS
  C(IP_TOS);
#endif
#ifdef IP_TTL
  C(IP_TTL);
#endif
#ifdef IP_RECVERR
  C(IP_RECVERR);
#endif
#ifdef IP_MTU_DISCOVER
  C(IP_MTU_DISCOVER);
#endif
#ifdef IP_MULTICAST_TTL
  C(IP_MULTICAST_TTL);
#endif
#ifdef IP_MULTICAST_LOOP
  C(IP_MULTICAST_LOOP);
#endif
#ifdef IP_FREEBIND
  C(IP_FREEBIND);
#endif
#ifdef IP_BIND_ADDRESS_NO_PORT
  C(IP_BIND_ADDRESS_NO_PORT);
#endif
#ifdef IPV6_V6ONLY
  C(IPV6_V6ONLY);
#endif
#ifdef IPV6_UNICAST_HOPS
  C(IPV6_UNICAST_HOPS);
#endif
#ifdef IPV6_RECVERR
  C(IPV6_RECVERR);
#endif
#ifdef IPV6_MULTICAST_HOPS
  C(IPV6_MULTICAST_HOPS);
#endif
#ifdef IPV6_MULTICAST_LOOP
  C(IPV6_MULTICAST_LOOP);
#endif
#ifdef MSG_OOB
  C(MSG_OOB);
#endif
#ifdef MSG_PEEK
  C(MSG_PEEK);
#endif
#ifdef MSG_DONTROUTE
  C(MSG_DONTROUTE);
#endif
#ifdef MSG_DONTWAIT
  C(MSG_DONTWAIT);
#endif
#ifdef MSG_WAITALL
  C(MSG_WAITALL);
#endif
#ifdef MSG_TRUNC
  C(MSG_TRUNC);
#endif
#ifdef MSG_CTRUNC
  C(MSG_CTRUNC);
#endif
#ifdef MSG_EOR
  C(MSG_EOR);
#endif
#ifdef MSG_NOSIGNAL
  C(MSG_NOSIGNAL);
#endif
#ifdef MSG_MORE
  C(MSG_MORE);
#endif
#ifdef MSG_ERRQUEUE
  C(MSG_ERRQUEUE);
#endif
#ifdef MSG_CONFIRM
  C(MSG_CONFIRM);
#endif
#ifdef MSG_ZEROCOPY
  C(MSG_ZEROCOPY);
#endif
#ifdef SHUT_RD
  C(SHUT_RD);
#endif
#ifdef SHUT_WR
  C(SHUT_WR);
#endif
#ifdef SHUT_RDWR
  C(SHUT_RDWR);
#endif
#ifdef F_GETFL
  C(F_GETFL);
#endif
#ifdef F_SETFL
  C(F_SETFL);
#endif
#ifdef F_GETFD
  C(F_GETFD);
#endif
#ifdef F_SETFD
  C(F_SETFD);
#endif
#ifdef F_DUPFD
  C(F_DUPFD);
#endif
#ifdef F_DUPFD_CLOEXEC
  C(F_DUPFD_CLOEXEC);
#endif
#ifdef O_NONBLOCK
  C(O_NONBLOCK);
#endif
#ifdef O_RDONLY
  C(O_RDONLY);
#endif
#ifdef O_WRONLY
  C(O_WRONLY);
#endif
#ifdef O_RDWR
  C(O_RDWR);
#endif
#ifdef FD_CLOEXEC
  C(FD_CLOEXEC);
#endif
#ifdef POLLIN
  C(POLLIN);
#endif
#ifdef POLLPRI
  C(POLLPRI);
#endif
#ifdef POLLOUT
  C(POLLOUT);
#endif
#ifdef POLLERR
  C(POLLERR);
#endif
#ifdef POLLHUP
  C(POLLHUP);
#endif
#ifdef POLLNVAL
  C(POLLNVAL);
#endif
#ifdef POLLRDNORM
  C(POLLRDNORM);
#endif
#ifdef POLLRDBAND
  C(POLLRDBAND);
#endif
#ifdef POLLWRNORM
  C(POLLWRNORM);
#endif
#ifdef POLLWRBAND
  C(POLLWRBAND);
#endif
#ifdef POLLRDHUP
  C(POLLRDHUP);
#endif
#ifdef FIONBIO
  C(FIONBIO);
#endif
#ifdef FIONREAD
  C(FIONREAD);
#endif
#ifdef SIOCINQ
  C(SIOCINQ);
#endif
#ifdef SIOCOUTQ
  C(SIOCOUTQ);
#endif
#ifdef SIOCOUTQNSD
  C(SIOCOUTQNSD);
#endif
#ifdef SIOCATMARK
  C(SIOCATMARK);
#endif
#ifdef SOMAXCONN
  C(SOMAXCONN);
#endif
#ifdef INADDR_ANY
  C(INADDR_ANY);
#endif
#ifdef INADDR_LOOPBACK
  C(INADDR_LOOPBACK);
#endif
#ifdef INET_ADDRSTRLEN
  C(INET_ADDRSTRLEN);
#endif
#ifdef INET6_ADDRSTRLEN
  C(INET6_ADDRSTRLEN);
#endif
  // TCP header control bits (<netinet/tcp.h>), for reading segments off a raw socket.
#ifdef TH_FIN
  C(TH_FIN);
#endif
#ifdef TH_SYN
  C(TH_SYN);
#endif
#ifdef TH_RST
  C(TH_RST);
#endif
#ifdef TH_PUSH
  C(TH_PUSH);
#endif
#ifdef TH_ACK
  C(TH_ACK);
#endif
#ifdef TH_URG
  C(TH_URG);
#endif
#if defined(__linux__)
  // glibc declares the TCP states as enum members, not macros.
  C(TCP_ESTABLISHED);
  C(TCP_SYN_SENT);
  C(TCP_SYN_RECV);
  C(TCP_FIN_WAIT1);
  C(TCP_FIN_WAIT2);
  C(TCP_TIME_WAIT);
  C(TCP_CLOSE);
  C(TCP_CLOSE_WAIT);
  C(TCP_LAST_ACK);
  C(TCP_LISTEN);
  C(TCP_CLOSING);
#endif
#if defined(__linux__)
  // Syscall numbers, so that /proc/<pid>/task/<tid>/syscall (which shows a number) can be named.
#ifdef SYS_read
  C(SYS_read);
#endif
#ifdef SYS_write
  C(SYS_write);
#endif
#ifdef SYS_close
  C(SYS_close);
#endif
#ifdef SYS_poll
  C(SYS_poll);
#endif
#ifdef SYS_ppoll
  C(SYS_ppoll);
#endif
#ifdef SYS_select
  C(SYS_select);
#endif
#ifdef SYS_pselect6
  C(SYS_pselect6);
#endif
#ifdef SYS_epoll_wait
  C(SYS_epoll_wait);
#endif
#ifdef SYS_epoll_pwait
  C(SYS_epoll_pwait);
#endif
#ifdef SYS_futex
  C(SYS_futex);
#endif
#ifdef SYS_nanosleep
  C(SYS_nanosleep);
#endif
#ifdef SYS_clock_nanosleep
  C(SYS_clock_nanosleep);
#endif
#ifdef SYS_socket
  C(SYS_socket);
#endif
#ifdef SYS_connect
  C(SYS_connect);
#endif
#ifdef SYS_accept
  C(SYS_accept);
#endif
#ifdef SYS_accept4
  C(SYS_accept4);
#endif
#ifdef SYS_sendto
  C(SYS_sendto);
#endif
#ifdef SYS_recvfrom
  C(SYS_recvfrom);
#endif
#ifdef SYS_sendmsg
  C(SYS_sendmsg);
#endif
#ifdef SYS_recvmsg
  C(SYS_recvmsg);
#endif
#ifdef SYS_sendmmsg
  C(SYS_sendmmsg);
#endif
#ifdef SYS_recvmmsg
  C(SYS_recvmmsg);
#endif
#ifdef SYS_shutdown
  C(SYS_shutdown);
#endif
#ifdef SYS_bind
  C(SYS_bind);
#endif
#ifdef SYS_listen
  C(SYS_listen);
#endif
#endif
#undef C
}

void AddErrnos(Napi::Env env, Napi::Object values, Napi::Object names, Napi::Object messages) {
  // When two names share a value (EAGAIN/EWOULDBLOCK, ENOTSUP/EOPNOTSUPP, EDEADLK/EDEADLOCK) the
  // first listed is the name of that value, as in Node's util.getSystemErrorName.
  auto add = [&](const char* name, int value) {
    values.Set(name, Napi::Number::New(env, value));
    Napi::Number key = Napi::Number::New(env, value);
    if (names.Has(key)) return;
    names.Set(key, Napi::String::New(env, name));
    char buf[256] = {0};
    const char* message = StrerrorResult(strerror_r(value, buf, sizeof(buf)), buf);
    messages.Set(key, Napi::String::New(env, message != nullptr ? message : name));
  };
#define E(name) add(#name, name)
#ifdef EPERM
  E(EPERM);
#endif
#ifdef ENOENT
  E(ENOENT);
#endif
#ifdef ESRCH
  E(ESRCH);
#endif
#ifdef EINTR
  E(EINTR);
#endif
#ifdef EIO
  E(EIO);
#endif
#ifdef ENXIO
  E(ENXIO);
#endif
#ifdef E2BIG
  E(E2BIG);
#endif
#ifdef ENOEXEC
  E(ENOEXEC);
#endif
#ifdef EBADF
  E(EBADF);
#endif
#ifdef ECHILD
  E(ECHILD);
#endif
#ifdef EAGAIN
  E(EAGAIN);
#endif
#ifdef EWOULDBLOCK
  E(EWOULDBLOCK);
#endif
#ifdef ENOMEM
  E(ENOMEM);
#endif
#ifdef EACCES
  E(EACCES);
#endif
#ifdef EFAULT
  E(EFAULT);
#endif
#ifdef ENOTBLK
  E(ENOTBLK);
#endif
#ifdef EBUSY
  E(EBUSY);
#endif
#ifdef EEXIST
  E(EEXIST);
#endif
#ifdef EXDEV
  E(EXDEV);
#endif
#ifdef ENODEV
  E(ENODEV);
#endif
#ifdef ENOTDIR
  E(ENOTDIR);
#endif
#ifdef EISDIR
  E(EISDIR);
#endif
#ifdef EINVAL
  E(EINVAL);
#endif
#ifdef ENFILE
  E(ENFILE);
#endif
#ifdef EMFILE
  E(EMFILE);
#endif
#ifdef ENOTTY
  E(ENOTTY);
#endif
#ifdef ETXTBSY
  E(ETXTBSY);
#endif
#ifdef EFBIG
  E(EFBIG);
#endif
#ifdef ENOSPC
  E(ENOSPC);
#endif
#ifdef ESPIPE
  E(ESPIPE);
#endif
#ifdef EROFS
  E(EROFS);
#endif
#ifdef EMLINK
  E(EMLINK);
#endif
#ifdef EPIPE
  E(EPIPE);
#endif
#ifdef EDOM
  E(EDOM);
#endif
#ifdef ERANGE
  E(ERANGE);
#endif
#ifdef EDEADLK
  E(EDEADLK);
#endif
#ifdef EDEADLOCK
  E(EDEADLOCK);
#endif
#ifdef ENAMETOOLONG
  E(ENAMETOOLONG);
#endif
#ifdef ENOLCK
  E(ENOLCK);
#endif
#ifdef ENOSYS
  E(ENOSYS);
#endif
#ifdef ENOTEMPTY
  E(ENOTEMPTY);
#endif
#ifdef ELOOP
  E(ELOOP);
#endif
#ifdef ENOMSG
  E(ENOMSG);
#endif
#ifdef EIDRM
  E(EIDRM);
#endif
#ifdef ECHRNG
  E(ECHRNG);
#endif
#ifdef EL2NSYNC
  E(EL2NSYNC);
#endif
#ifdef EL3HLT
  E(EL3HLT);
#endif
#ifdef EL3RST
  E(EL3RST);
#endif
#ifdef ELNRNG
  E(ELNRNG);
#endif
#ifdef EUNATCH
  E(EUNATCH);
#endif
#ifdef ENOCSI
  E(ENOCSI);
#endif
#ifdef EL2HLT
  E(EL2HLT);
#endif
#ifdef EBADE
  E(EBADE);
#endif
#ifdef EBADR
  E(EBADR);
#endif
#ifdef EXFULL
  E(EXFULL);
#endif
#ifdef ENOANO
  E(ENOANO);
#endif
#ifdef EBADRQC
  E(EBADRQC);
#endif
#ifdef EBADSLT
  E(EBADSLT);
#endif
#ifdef EBFONT
  E(EBFONT);
#endif
#ifdef ENOSTR
  E(ENOSTR);
#endif
#ifdef ENODATA
  E(ENODATA);
#endif
#ifdef ETIME
  E(ETIME);
#endif
#ifdef ENOSR
  E(ENOSR);
#endif
#ifdef ENONET
  E(ENONET);
#endif
#ifdef ENOPKG
  E(ENOPKG);
#endif
#ifdef EREMOTE
  E(EREMOTE);
#endif
#ifdef ENOLINK
  E(ENOLINK);
#endif
#ifdef EADV
  E(EADV);
#endif
#ifdef ESRMNT
  E(ESRMNT);
#endif
#ifdef ECOMM
  E(ECOMM);
#endif
#ifdef EPROTO
  E(EPROTO);
#endif
#ifdef EMULTIHOP
  E(EMULTIHOP);
#endif
#ifdef EDOTDOT
  E(EDOTDOT);
#endif
#ifdef EBADMSG
  E(EBADMSG);
#endif
#ifdef EOVERFLOW
  E(EOVERFLOW);
#endif
#ifdef ENOTUNIQ
  E(ENOTUNIQ);
#endif
#ifdef EBADFD
  E(EBADFD);
#endif
#ifdef EREMCHG
  E(EREMCHG);
#endif
#ifdef ELIBACC
  E(ELIBACC);
#endif
#ifdef ELIBBAD
  E(ELIBBAD);
#endif
#ifdef ELIBSCN
  E(ELIBSCN);
#endif
#ifdef ELIBMAX
  E(ELIBMAX);
#endif
#ifdef ELIBEXEC
  E(ELIBEXEC);
#endif
#ifdef EILSEQ
  E(EILSEQ);
#endif
#ifdef ERESTART
  E(ERESTART);
#endif
#ifdef ESTRPIPE
  E(ESTRPIPE);
#endif
#ifdef EUSERS
  E(EUSERS);
#endif
#ifdef ENOTSOCK
  E(ENOTSOCK);
#endif
#ifdef EDESTADDRREQ
  E(EDESTADDRREQ);
#endif
#ifdef EMSGSIZE
  E(EMSGSIZE);
#endif
#ifdef EPROTOTYPE
  E(EPROTOTYPE);
#endif
#ifdef ENOPROTOOPT
  E(ENOPROTOOPT);
#endif
#ifdef EPROTONOSUPPORT
  E(EPROTONOSUPPORT);
#endif
#ifdef ESOCKTNOSUPPORT
  E(ESOCKTNOSUPPORT);
#endif
#ifdef ENOTSUP
  E(ENOTSUP);
#endif
#ifdef EOPNOTSUPP
  E(EOPNOTSUPP);
#endif
#ifdef EPFNOSUPPORT
  E(EPFNOSUPPORT);
#endif
#ifdef EAFNOSUPPORT
  E(EAFNOSUPPORT);
#endif
#ifdef EADDRINUSE
  E(EADDRINUSE);
#endif
#ifdef EADDRNOTAVAIL
  E(EADDRNOTAVAIL);
#endif
#ifdef ENETDOWN
  E(ENETDOWN);
#endif
#ifdef ENETUNREACH
  E(ENETUNREACH);
#endif
#ifdef ENETRESET
  E(ENETRESET);
#endif
#ifdef ECONNABORTED
  E(ECONNABORTED);
#endif
#ifdef ECONNRESET
  E(ECONNRESET);
#endif
#ifdef ENOBUFS
  E(ENOBUFS);
#endif
#ifdef EISCONN
  E(EISCONN);
#endif
#ifdef ENOTCONN
  E(ENOTCONN);
#endif
#ifdef ESHUTDOWN
  E(ESHUTDOWN);
#endif
#ifdef ETOOMANYREFS
  E(ETOOMANYREFS);
#endif
#ifdef ETIMEDOUT
  E(ETIMEDOUT);
#endif
#ifdef ECONNREFUSED
  E(ECONNREFUSED);
#endif
#ifdef EHOSTDOWN
  E(EHOSTDOWN);
#endif
#ifdef EHOSTUNREACH
  E(EHOSTUNREACH);
#endif
#ifdef EALREADY
  E(EALREADY);
#endif
#ifdef EINPROGRESS
  E(EINPROGRESS);
#endif
#ifdef ESTALE
  E(ESTALE);
#endif
#ifdef EUCLEAN
  E(EUCLEAN);
#endif
#ifdef ENOTNAM
  E(ENOTNAM);
#endif
#ifdef ENAVAIL
  E(ENAVAIL);
#endif
#ifdef EISNAM
  E(EISNAM);
#endif
#ifdef EREMOTEIO
  E(EREMOTEIO);
#endif
#ifdef EDQUOT
  E(EDQUOT);
#endif
#ifdef ENOMEDIUM
  E(ENOMEDIUM);
#endif
#ifdef EMEDIUMTYPE
  E(EMEDIUMTYPE);
#endif
#ifdef ECANCELED
  E(ECANCELED);
#endif
#ifdef ENOKEY
  E(ENOKEY);
#endif
#ifdef EKEYEXPIRED
  E(EKEYEXPIRED);
#endif
#ifdef EKEYREVOKED
  E(EKEYREVOKED);
#endif
#ifdef EKEYREJECTED
  E(EKEYREJECTED);
#endif
#ifdef EOWNERDEAD
  E(EOWNERDEAD);
#endif
#ifdef ENOTRECOVERABLE
  E(ENOTRECOVERABLE);
#endif
#ifdef ERFKILL
  E(ERFKILL);
#endif
#ifdef EHWPOISON
  E(EHWPOISON);
#endif
#undef E
}

}  // namespace syssock
