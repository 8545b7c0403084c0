// The constants and errno tables exported to JavaScript (values from the platform headers).
#ifndef SYSSOCK_CONSTANTS_H_
#define SYSSOCK_CONSTANTS_H_

#include <napi.h>

namespace syssock {

// AF_*, SOCK_*, SOL_*, SO_*, IPPROTO_*, TCP_*, IP*, MSG_*, SHUT_*, F_*, O_NONBLOCK, FD_CLOEXEC,
// POLL*, ioctl requests and limits, as name → value properties of target.
void AddConstants(Napi::Env env, Napi::Object target);

// Every errno the platform defines: values (name → number), names (number → canonical name)
// and messages (number → strerror text).
void AddErrnos(Napi::Env env, Napi::Object values, Napi::Object names, Napi::Object messages);

}  // namespace syssock

#endif  // SYSSOCK_CONSTANTS_H_
