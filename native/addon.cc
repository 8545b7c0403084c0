// The JavaScript face of sys_calls.h: one wrapper per syscall, named after it, arguments in C
// order. A wrapper checks its arguments (TypeError/RangeError before any syscall), makes the one
// call, and returns the result: >= 0 on success, -errno on failure. OS failures never throw.
#include <fcntl.h>
#include <napi.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#if defined(__linux__)
#include <linux/sockios.h>
#endif

#include <limits.h>

#include <climits>
#include <cstdint>
#include <string>

#include "args.h"
#include "constants.h"
#include "layouts.h"
#include "poller.h"
#include "sockaddr.h"
#include "sys_calls.h"

namespace syssock {
namespace {

using Napi::CallbackInfo;
using Napi::Value;

// The (fd, buffer, offset, length, flags) that send, recv, sendto and recvfrom begin with.
bool GetIoArgs(const CallbackInfo& info, int* fd, Bytes* bytes, int32_t* flags) {
  return GetFd(info, 0, fd) && GetByteRange(info, 1, "buffer", bytes) &&
         GetInt32(info, 4, "flags", flags);
}

// socket(domain, type, protocol) → fd. Passes exactly the flags it is given.
Value Socket(const CallbackInfo& info) {
  int32_t domain, type, protocol;
  if (!GetInt32(info, 0, "domain", &domain) || !GetInt32(info, 1, "type", &type) ||
      !GetInt32(info, 2, "protocol", &protocol))
    return {};
  return Result(info.Env(), sys_socket(domain, type, protocol));
}

// socketpair(domain, type, protocol, sv: Int32Array(>= 2)) → 0; the two fds go into sv[0..1].
Value Socketpair(const CallbackInfo& info) {
  int32_t domain, type, protocol;
  if (!GetInt32(info, 0, "domain", &domain) || !GetInt32(info, 1, "type", &type) ||
      !GetInt32(info, 2, "protocol", &protocol))
    return {};
  if (!info[3].IsTypedArray() ||
      info[3].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
    ThrowTypeError(info.Env(), "sv", "an Int32Array of length 2");
    return {};
  }
  Napi::Int32Array sv = info[3].As<Napi::Int32Array>();
  if (sv.ElementLength() < 2) {
    ThrowRangeError(info.Env(), "sv", "It must have at least 2 elements.");
    return {};
  }
  int fds[2];
  int rc = sys_socketpair(domain, type, protocol, fds);
  if (rc == 0) {
    sv[0] = fds[0];
    sv[1] = fds[1];
  }
  return Result(info.Env(), rc);
}

// bind(fd, address) → 0.
Value Bind(const CallbackInfo& info) {
  int fd;
  SockAddr addr;
  if (!GetFd(info, 0, &fd) || !ParseSockAddr(info, 1, &addr)) return {};
  return Result(info.Env(), sys_bind(fd, addr.get(), addr.length));
}

// connect(fd, address) → 0.
Value Connect(const CallbackInfo& info) {
  int fd;
  SockAddr addr;
  if (!GetFd(info, 0, &fd) || !ParseSockAddr(info, 1, &addr)) return {};
  return Result(info.Env(), sys_connect(fd, addr.get(), addr.length));
}

// listen(fd, backlog) → 0.
Value Listen(const CallbackInfo& info) {
  int fd;
  int32_t backlog;
  if (!GetFd(info, 0, &fd) || !GetInt32(info, 1, "backlog", &backlog)) return {};
  return Result(info.Env(), sys_listen(fd, backlog));
}

// Shared by accept and accept4: the peer address goes into info[1] when it is an object.
Value AcceptCommon(const CallbackInfo& info, bool with_flags) {
  int fd;
  bool wanted;
  int32_t flags = 0;
  if (!GetFd(info, 0, &fd) || !GetAddrTarget(info, 1, &wanted)) return {};
  if (with_flags && !GetInt32(info, 2, "flags", &flags)) return {};
  SockAddr addr;
  addr.length = sizeof(addr.storage);
  sockaddr* addr_ptr = wanted ? addr.get() : nullptr;
  socklen_t* len_ptr = wanted ? &addr.length : nullptr;
  int rc =
      with_flags ? sys_accept4(fd, addr_ptr, len_ptr, flags) : sys_accept(fd, addr_ptr, len_ptr);
  if (rc >= 0 && wanted) {
    WriteSockAddr(info.Env(), info[1].As<Napi::Object>(), addr.get(), addr.length);
    bool pending = false;
    if (napi_is_exception_pending(info.Env(), &pending) == napi_ok && pending) {
      // A setter or Proxy trap on `peer` threw: the caller never learns the new fd, so it is
      // closed rather than leaked, and the exception propagates (found by fuzzing).
      sys_close(rc);
      return {};
    }
  }
  return Result(info.Env(), rc);
}

// accept(fd, peer | null) → new fd.
Value Accept(const CallbackInfo& info) { return AcceptCommon(info, false); }

// accept4(fd, peer | null, flags) → new fd. -ENOSYS where the platform has no accept4.
Value Accept4(const CallbackInfo& info) { return AcceptCommon(info, true); }

// send(fd, buf, offset, length, flags) → bytes sent. Reads buf in place.
Value Send(const CallbackInfo& info) {
  int fd;
  Bytes bytes;
  int32_t flags;
  if (!GetIoArgs(info, &fd, &bytes, &flags)) return {};
  return Result(info.Env(), sys_send(fd, bytes.data, bytes.length, flags));
}

// writev(fd, buffers: ArrayBufferView[]) → bytes written (may be fewer than the total: a partial
// write). One iovec per element, pointing into the element's own memory (never copied). At most
// IOV_MAX elements (RangeError beyond, before the syscall; the kernel would say EINVAL).
//
// writev(fd, buffer, segments: Uint32Array) → the same, with the iovecs given as
// [offset, length, offset, length …] pairs into one buffer: two Node-API reads in all, where the
// array form pays two per element (~80 ns each here, far more than the syscall's own setup) —
// the form for many small pieces of one arena (a ring buffer's two halves, framed messages).
Value WritevSegments(const CallbackInfo& info, int fd) {
  napi_env env = info.Env();
  Bytes bytes;
  if (!GetBytes(info, 1, "buffer", &bytes)) return {};
  napi_typedarray_type type;
  size_t count;
  void* data;
  if (napi_get_typedarray_info(env, info[2], &type, &count, &data, nullptr, nullptr) != napi_ok ||
      type != napi_uint32_array) {
    ThrowTypeError(env, "segments", "an instance of Uint32Array");
    return {};
  }
  if (count % 2 != 0 || count / 2 > IOV_MAX) {
    std::string message = "It must hold (offset, length) pairs, at most " +
                          std::to_string(IOV_MAX) + " (IOV_MAX). Received " +
                          std::to_string(count) + " elements";
    ThrowRangeError(env, "segments", message.c_str());
    return {};
  }
  const uint32_t* pairs = static_cast<const uint32_t*>(data);
  const size_t iovcnt = count / 2;
  iovec iov[IOV_MAX];
  for (size_t i = 0; i < iovcnt; i++) {
    const uint64_t offset = pairs[2 * i];
    const uint64_t length = pairs[2 * i + 1];
    if (offset + length > bytes.length) {
      std::string message = "Segment " + std::to_string(i) + " (offset " + std::to_string(offset) +
                            ", length " + std::to_string(length) +
                            ") must lie within the buffer's " + std::to_string(bytes.length) +
                            " bytes";
      ThrowRangeError(env, "segments", message.c_str());
      return {};
    }
    iov[i].iov_base = bytes.data + offset;
    iov[i].iov_len = length;
  }
  return Result(env, sys_writev(fd, iov, static_cast<int>(iovcnt)));
}

Value Writev(const CallbackInfo& info) {
  int fd;
  if (!GetFd(info, 0, &fd)) return {};
  if (info.Length() > 2 && !info[2].IsUndefined()) return WritevSegments(info, fd);
  if (!info[1].IsArray()) {
    ThrowTypeError(info.Env(), "buffers", "an Array of Buffer, TypedArray or DataView");
    return {};
  }
  Napi::Array buffers = info[1].As<Napi::Array>();
  const uint32_t count = buffers.Length();
  if (count > IOV_MAX) {
    std::string message = "It must have at most " + std::to_string(IOV_MAX) +
                          " (IOV_MAX) elements. Received " + std::to_string(count);
    ThrowRangeError(info.Env(), "buffers", message.c_str());
    return {};
  }
  napi_env env = info.Env();
  napi_value array = buffers;
  // Two passes: reading an element can run JavaScript (a getter, a Proxy trap) that detaches or
  // shrinks an element read before it, so every element is fetched first and only then are the
  // pointers and lengths taken, with no JavaScript running until the syscall (found by fuzzing).
  napi_value elements[IOV_MAX];
  for (uint32_t i = 0; i < count; i++)
    if (napi_get_element(env, array, i, &elements[i]) != napi_ok) return {};
  iovec iov[IOV_MAX];
  for (uint32_t i = 0; i < count; i++) {
    napi_value element = elements[i];
    Bytes bytes;
    if (!BytesOf(env, element, &bytes)) {
      std::string name = "buffers[" + std::to_string(i) + "]";
      ThrowTypeError(info.Env(), name.c_str(), "an instance of Buffer, TypedArray or DataView");
      return {};
    }
    iov[i].iov_base = bytes.data;
    iov[i].iov_len = bytes.length;
  }
  return Result(info.Env(), sys_writev(fd, iov, static_cast<int>(count)));
}

// recv(fd, buf, offset, length, flags) → bytes received (0 at end of stream). Writes buf in place.
Value Recv(const CallbackInfo& info) {
  int fd;
  Bytes bytes;
  int32_t flags;
  if (!GetIoArgs(info, &fd, &bytes, &flags)) return {};
  return Result(info.Env(), sys_recv(fd, bytes.data, bytes.length, flags));
}

// sendto(fd, buf, offset, length, flags, address | null) → bytes sent.
Value Sendto(const CallbackInfo& info) {
  const bool to_peer = info[5].IsNull() || info[5].IsUndefined();
  SockAddr addr;
  // The address first: reading it can run JavaScript (a getter, a Proxy trap) that detaches or
  // shrinks the buffer, so the buffer's pointer and length are taken after it (found by fuzzing).
  if (!to_peer && !ParseSockAddr(info, 5, &addr)) return {};
  int fd;
  Bytes bytes;
  int32_t flags;
  if (!GetIoArgs(info, &fd, &bytes, &flags)) return {};
  if (to_peer)
    return Result(info.Env(), sys_sendto(fd, bytes.data, bytes.length, flags, nullptr, 0));
  return Result(info.Env(),
                sys_sendto(fd, bytes.data, bytes.length, flags, addr.get(), addr.length));
}

// recvfrom(fd, buf, offset, length, flags, source | null) → bytes received; the sender's address
// goes into source when it is an object.
Value Recvfrom(const CallbackInfo& info) {
  int fd;
  Bytes bytes;
  int32_t flags;
  bool wanted;
  if (!GetIoArgs(info, &fd, &bytes, &flags) || !GetAddrTarget(info, 5, &wanted)) return {};
  SockAddr addr;
  addr.length = sizeof(addr.storage);
  ssize_t rc = sys_recvfrom(fd, bytes.data, bytes.length, flags, wanted ? addr.get() : nullptr,
                            wanted ? &addr.length : nullptr);
  // A connected stream socket leaves the address untouched (length 0): write only what came.
  if (rc >= 0 && wanted)
    WriteSockAddr(info.Env(), info[5].As<Napi::Object>(), addr.get(),
                  addr.length <= sizeof(addr.storage) ? addr.length : sizeof(addr.storage));
  return Result(info.Env(), rc);
}

// shutdown(fd, how) → 0.
Value Shutdown(const CallbackInfo& info) {
  int fd;
  int32_t how;
  if (!GetFd(info, 0, &fd) || !GetInt32(info, 1, "how", &how)) return {};
  return Result(info.Env(), sys_shutdown(fd, how));
}

// close(fd) → 0. Never retried (see sys_calls.cc).
Value Close(const CallbackInfo& info) {
  int fd;
  if (!GetFd(info, 0, &fd)) return {};
  return Result(info.Env(), sys_close(fd));
}

// fcntl(fd, cmd, arg = 0) → what the command returns. Only the commands whose argument is an
// int are accepted; the pointer-taking ones (F_GETLK, F_SETOWN_EX …) would let a number be used
// as an address.
Value Fcntl(const CallbackInfo& info) {
  int fd;
  int32_t cmd, arg = 0;
  if (!GetFd(info, 0, &fd) || !GetInt32(info, 1, "cmd", &cmd)) return {};
  switch (cmd) {
    case F_GETFL:
    case F_SETFL:
    case F_GETFD:
    case F_SETFD:
    case F_DUPFD:
#ifdef F_DUPFD_CLOEXEC
    case F_DUPFD_CLOEXEC:
#endif
      break;
    default:
      ThrowRangeError(info.Env(), "cmd",
                      "It must be F_GETFL, F_SETFL, F_GETFD, F_SETFD, F_DUPFD or F_DUPFD_CLOEXEC.");
      return {};
  }
  if (!info[2].IsUndefined() && !GetInt32(info, 2, "arg", &arg)) return {};
  return Result(info.Env(), sys_fcntl(fd, cmd, arg));
}

// ioctl(fd, request, value: Int32Array(>= 1)) → 0. For the requests whose argument is an int:
// FIONBIO reads value[0]; FIONREAD/SIOCINQ, SIOCOUTQ, SIOCOUTQNSD and SIOCATMARK write it. Any
// other request is refused, because the kernel would read or write a struct of its own size.
Value Ioctl(const CallbackInfo& info) {
  int fd;
  int64_t request = 0;
  if (!GetFd(info, 0, &fd) || !GetInt(info, 1, "request", 0, UINT32_MAX, &request)) return {};
  switch (static_cast<unsigned long>(request)) {
    case FIONBIO:
    case FIONREAD:
#ifdef SIOCOUTQ
    case SIOCOUTQ:
#endif
#ifdef SIOCOUTQNSD
    case SIOCOUTQNSD:
#endif
#ifdef SIOCATMARK
    case SIOCATMARK:
#endif
      break;
    default:
      ThrowRangeError(info.Env(), "request",
                      "It must be FIONBIO, FIONREAD (SIOCINQ), SIOCOUTQ, SIOCOUTQNSD or "
                      "SIOCATMARK.");
      return {};
  }
  if (!info[2].IsTypedArray() ||
      info[2].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array ||
      info[2].As<Napi::Int32Array>().ElementLength() < 1) {
    ThrowTypeError(info.Env(), "value", "an Int32Array of length >= 1");
    return {};
  }
  int* value = info[2].As<Napi::Int32Array>().Data();
  return Result(info.Env(), sys_ioctl_int(fd, static_cast<unsigned long>(request), value));
}

// getsockopt(fd, level, optname, optval) → the option length the kernel wrote (optlen). optval's
// whole byte length is the buffer offered; pass a subarray to offer less.
Value Getsockopt(const CallbackInfo& info) {
  int fd;
  int32_t level, optname;
  Bytes bytes;
  if (!GetFd(info, 0, &fd) || !GetInt32(info, 1, "level", &level) ||
      !GetInt32(info, 2, "optname", &optname) || !GetBytes(info, 3, "optval", &bytes))
    return {};
  if (bytes.length > INT32_MAX) {
    ThrowRangeError(info.Env(), "optval", "It must be at most 2^31-1 bytes.");
    return {};
  }
  socklen_t length = static_cast<socklen_t>(bytes.length);
  int rc = sys_getsockopt(fd, level, optname, bytes.data, &length);
  return Result(info.Env(), rc < 0 ? rc : static_cast<int64_t>(length));
}

// setsockopt(fd, level, optname, optval) → 0. optval's whole byte length is passed as optlen.
Value Setsockopt(const CallbackInfo& info) {
  int fd;
  int32_t level, optname;
  Bytes bytes;
  if (!GetFd(info, 0, &fd) || !GetInt32(info, 1, "level", &level) ||
      !GetInt32(info, 2, "optname", &optname) || !GetBytes(info, 3, "optval", &bytes))
    return {};
  if (bytes.length > INT32_MAX) {
    ThrowRangeError(info.Env(), "optval", "It must be at most 2^31-1 bytes.");
    return {};
  }
  return Result(info.Env(), sys_setsockopt(fd, level, optname, bytes.data,
                                           static_cast<socklen_t>(bytes.length)));
}

Value NameCommon(const CallbackInfo& info, int (*call)(int, sockaddr*, socklen_t*)) {
  int fd;
  if (!GetFd(info, 0, &fd)) return {};
  if (!info[1].IsObject()) {
    ThrowTypeError(info.Env(), "address", "an object to receive the address");
    return {};
  }
  SockAddr addr;
  addr.length = sizeof(addr.storage);
  int rc = call(fd, addr.get(), &addr.length);
  if (rc == 0) WriteSockAddr(info.Env(), info[1].As<Napi::Object>(), addr.get(), addr.length);
  return Result(info.Env(), rc);
}

// getsockname(fd, address) → 0; the local address goes into the object.
Value Getsockname(const CallbackInfo& info) { return NameCommon(info, sys_getsockname); }

// getpeername(fd, address) → 0; the peer's address goes into the object.
Value Getpeername(const CallbackInfo& info) { return NameCommon(info, sys_getpeername); }

// poll(fds, nfds, timeout) → number of ready entries. fds is an array of struct pollfd as raw
// bytes (layouts.pollfd), used in place: the kernel writes revents into it. Blocks the calling
// thread for up to timeout ms (-1: no limit), which is what the caller asked for by name.
Value Poll(const CallbackInfo& info) {
  Bytes bytes;
  int64_t nfds = 0;
  int32_t timeout;
  if (!GetBytes(info, 0, "fds", &bytes) || !GetInt(info, 1, "nfds", 0, INT32_MAX, &nfds) ||
      !GetInt32(info, 2, "timeout", &timeout))
    return {};
  if (static_cast<uint64_t>(nfds) > bytes.length / sizeof(pollfd)) {
    ThrowRangeError(info.Env(), "nfds",
                    "nfds * sizeof(struct pollfd) exceeds the byte length of fds.");
    return {};
  }
  if (reinterpret_cast<uintptr_t>(bytes.data) % alignof(pollfd) != 0) {
    ThrowRangeError(info.Env(), "fds",
                    "Its byteOffset must be a multiple of alignof(struct pollfd).");
    return {};
  }
  return Result(info.Env(), sys_poll(reinterpret_cast<pollfd*>(bytes.data),
                                     static_cast<nfds_t>(nfds), timeout));
}

// signal(signum, 'default' | 'ignore') → 0: sigaction(2) with SIG_DFL or SIG_IGN, for the whole
// process. Node ignores SIGPIPE; a child process that wants the classic "killed by SIGPIPE"
// behaviour restores the default with this. No handlers: JavaScript cannot run in one.
Value Signal(const CallbackInfo& info) {
  int32_t signum;
  if (!GetInt32(info, 0, "signum", &signum)) return {};
  if (!info[1].IsString()) {
    ThrowTypeError(info.Env(), "disposition", "'default' or 'ignore'");
    return {};
  }
  std::string disposition = info[1].As<Napi::String>().Utf8Value();
  if (disposition != "default" && disposition != "ignore") {
    napi_throw_type_error(info.Env(), "ERR_INVALID_ARG_VALUE",
                          "The \"disposition\" argument must be 'default' or 'ignore'");
    return {};
  }
  return Result(info.Env(), sys_signal_disposition(signum, disposition == "ignore"));
}

// gettid() → the calling thread's kernel thread id (-ENOSYS off Linux).
Value Gettid(const CallbackInfo& info) { return Result(info.Env(), sys_gettid()); }

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  const struct {
    const char* name;
    Napi::Function::Callback callback;
  } functions[] = {
      {"socket", Socket},
      {"socketpair", Socketpair},
      {"bind", Bind},
      {"listen", Listen},
      {"accept", Accept},
      {"accept4", Accept4},
      {"connect", Connect},
      {"send", Send},
      {"recv", Recv},
      {"writev", Writev},
      {"sendto", Sendto},
      {"recvfrom", Recvfrom},
      {"shutdown", Shutdown},
      {"close", Close},
      {"fcntl", Fcntl},
      {"ioctl", Ioctl},
      {"getsockopt", Getsockopt},
      {"setsockopt", Setsockopt},
      {"getsockname", Getsockname},
      {"getpeername", Getpeername},
      {"poll", Poll},
      {"gettid", Gettid},
      {"signal", Signal},
  };
  for (const auto& f : functions) exports.Set(f.name, Napi::Function::New(env, f.callback, f.name));

  Napi::Object constants = Napi::Object::New(env);
  Napi::Object errno_names = Napi::Object::New(env);
  Napi::Object errno_messages = Napi::Object::New(env);
  AddConstants(env, constants);
  AddErrnos(env, constants, errno_names, errno_messages);
  exports.Set("constants", constants);
  exports.Set("errnoNames", errno_names);
  exports.Set("errnoMessages", errno_messages);

  Napi::Object layouts = Napi::Object::New(env);
  AddLayouts(env, layouts);
  exports.Set("layouts", layouts);

  // uv_poll readiness on this environment's loop (poller.cc): pollerOpen, pollerCount.
  AddPoller(env, exports);

#if defined(__linux__)
  exports.Set("platform", Napi::String::New(env, "linux"));
#elif defined(__APPLE__)
  exports.Set("platform", Napi::String::New(env, "darwin"));
#else
  exports.Set("platform", Napi::String::New(env, "other"));
#endif
  return exports;
}

}  // namespace
}  // namespace syssock

static Napi::Object InitSyssock(Napi::Env env, Napi::Object exports) {
  return syssock::Init(env, exports);
}

// Node-API modules are context-aware: Init runs once per environment (main thread and every
// worker), and everything it builds hangs off that environment's exports; nothing is static.
NODE_API_MODULE(syssock, InitSyssock)
