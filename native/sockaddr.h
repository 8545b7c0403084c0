// Conversion between JavaScript address objects and struct sockaddr.
//
// JavaScript shape (the family numbers come from constants, never typed by hand):
//   { family: AF_INET,  address: '127.0.0.1', port }
//   { family: AF_INET6, address: '::1', port, flowinfo?, scopeId? }
//   { family: AF_UNIX,  path }   path: string or Uint8Array; a leading NUL byte names a Linux
//                                abstract socket (its length is exact, no terminating NUL)
//   { family: AF_UNSPEC }        connect() to dissolve a datagram socket's association
#ifndef SYSSOCK_SOCKADDR_H_
#define SYSSOCK_SOCKADDR_H_

#include <napi.h>
#include <sys/socket.h>

namespace syssock {

struct SockAddr {
  sockaddr_storage storage;
  socklen_t length;
  sockaddr* get() { return reinterpret_cast<sockaddr*>(&storage); }
};

// Reads info[i] into *out. Throws TypeError/RangeError and returns false on a bad address.
bool ParseSockAddr(const Napi::CallbackInfo& info, size_t i, SockAddr* out);

// True when info[i] is an object that can receive an address, false when it is null or
// undefined (the caller does not want it). Anything else throws a TypeError.
bool GetAddrTarget(const Napi::CallbackInfo& info, size_t i, bool* wanted);

// Sets family and address fields of `target` from a sockaddr the kernel filled in.
void WriteSockAddr(Napi::Env env, Napi::Object target, const sockaddr* addr, socklen_t length);

}  // namespace syssock

#endif  // SYSSOCK_SOCKADDR_H_
