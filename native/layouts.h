// Byte layouts of the structs that cross the boundary as raw bytes (option values, pollfd),
// taken with sizeof/offsetof from the headers so that JavaScript never types an offset by hand.
#ifndef SYSSOCK_LAYOUTS_H_
#define SYSSOCK_LAYOUTS_H_

#include <napi.h>

namespace syssock {

// target.<struct> = { size, fields: { <field>: [offset, size, signed] } } for int, linger,
// timeval and pollfd.
void AddLayouts(Napi::Env env, Napi::Object target);

// target.tcp_info, from the kernel's <linux/tcp.h> (kept in its own file because that header
// and glibc's <netinet/tcp.h> both define struct tcp_info). Absent on other platforms.
void AddTcpInfoLayout(Napi::Env env, Napi::Object target);

// Shared helper: fields[name] = [offset, size, signed].
void AddField(Napi::Env env, Napi::Object fields, const char* name, size_t offset, size_t size,
              bool is_signed);

}  // namespace syssock

#endif  // SYSSOCK_LAYOUTS_H_
