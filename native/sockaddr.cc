#include "sockaddr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <cstddef>
#include <cstring>
#include <string>

#include "args.h"

namespace syssock {

namespace {

void ThrowInvalidValue(Napi::Env env, const std::string& message) {
  napi_throw_type_error(env, "ERR_INVALID_ARG_VALUE", message.c_str());
}

bool GetIntField(Napi::Env env, Napi::Object obj, const char* key, int64_t min, int64_t max,
                 bool required, int64_t* out) {
  Napi::Value value = obj.Get(key);
  if (value.IsUndefined() && !required) {
    *out = 0;
    return true;
  }
  std::string name = std::string("address.") + key;
  if (!value.IsNumber()) {
    ThrowTypeError(env, name.c_str(), "of type number");
    return false;
  }
  double d = value.As<Napi::Number>().DoubleValue();
  if (!(d >= static_cast<double>(min) && d <= static_cast<double>(max)) ||
      static_cast<int64_t>(d) != d) {
    std::string message = "It must be an integer >= " + std::to_string(min) +
                          " and <= " + std::to_string(max) + ". Received " + NumberText(d);
    ThrowRangeError(env, name.c_str(), message.c_str());
    return false;
  }
  *out = static_cast<int64_t>(d);
  return true;
}

// Copies obj.address (an IP address string) into buf, which holds buf_size bytes.
bool GetAddressString(Napi::Env env, Napi::Object obj, char* buf, size_t buf_size) {
  Napi::Value value = obj.Get("address");
  if (!value.IsString()) {
    ThrowTypeError(env, "address.address", "of type string");
    return false;
  }
  size_t length = 0;
  napi_get_value_string_utf8(env, value, nullptr, 0, &length);
  if (length >= buf_size) {
    ThrowInvalidValue(env, "The address \"" + value.As<Napi::String>().Utf8Value() +
                               "\" is not a valid IP address of this family");
    return false;
  }
  napi_get_value_string_utf8(env, value, buf, buf_size, &length);
  // inet_pton stops at the first NUL: '127.0.0.1\0junk' would silently become 127.0.0.1.
  if (std::strlen(buf) != length) {
    ThrowInvalidValue(env, "The address must not contain NUL bytes");
    return false;
  }
  return true;
}

bool ParseInet(Napi::Env env, Napi::Object obj, SockAddr* out) {
  char text[INET_ADDRSTRLEN];
  int64_t port;
  if (!GetAddressString(env, obj, text, sizeof(text))) return false;
  if (!GetIntField(env, obj, "port", 0, 65535, true, &port)) return false;
  sockaddr_in* sin = reinterpret_cast<sockaddr_in*>(&out->storage);
  sin->sin_family = AF_INET;
  sin->sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, text, &sin->sin_addr) != 1) {
    ThrowInvalidValue(env, std::string("The address \"") + text + "\" is not a valid IPv4 address");
    return false;
  }
  out->length = sizeof(sockaddr_in);
  return true;
}

bool ParseInet6(Napi::Env env, Napi::Object obj, SockAddr* out) {
  char text[INET6_ADDRSTRLEN];
  int64_t port, flowinfo, scope_id;
  if (!GetAddressString(env, obj, text, sizeof(text))) return false;
  if (!GetIntField(env, obj, "port", 0, 65535, true, &port)) return false;
  if (!GetIntField(env, obj, "flowinfo", 0, UINT32_MAX, false, &flowinfo)) return false;
  if (!GetIntField(env, obj, "scopeId", 0, UINT32_MAX, false, &scope_id)) return false;
  sockaddr_in6* sin6 = reinterpret_cast<sockaddr_in6*>(&out->storage);
  sin6->sin6_family = AF_INET6;
  sin6->sin6_port = htons(static_cast<uint16_t>(port));
  sin6->sin6_flowinfo = htonl(static_cast<uint32_t>(flowinfo));
  sin6->sin6_scope_id = static_cast<uint32_t>(scope_id);
  if (inet_pton(AF_INET6, text, &sin6->sin6_addr) != 1) {
    ThrowInvalidValue(env, std::string("The address \"") + text +
                               "\" is not a valid IPv6 address (give a zone as scopeId)");
    return false;
  }
  out->length = sizeof(sockaddr_in6);
  return true;
}

bool ParseUnix(Napi::Env env, Napi::Object obj, SockAddr* out) {
  sockaddr_un* sun = reinterpret_cast<sockaddr_un*>(&out->storage);
  sun->sun_family = AF_UNIX;
  Napi::Value value = obj.Get("path");
  std::string path;
  if (value.IsString()) {
    path = value.As<Napi::String>().Utf8Value();
  } else if (value.IsTypedArray() &&
             value.As<Napi::TypedArray>().TypedArrayType() == napi_uint8_array) {
    Napi::Uint8Array bytes = value.As<Napi::Uint8Array>();
    path.assign(reinterpret_cast<const char*>(bytes.Data()), bytes.ElementLength());
  } else {
    ThrowTypeError(env, "address.path", "a string, Buffer or Uint8Array");
    return false;
  }
  if (path.empty()) {
    ThrowInvalidValue(env, "The unix socket path must not be empty");
    return false;
  }
  const bool abstract = path[0] == '\0';
  // A filesystem path needs room for its terminating NUL; an abstract name uses every byte.
  const size_t limit = abstract ? sizeof(sun->sun_path) : sizeof(sun->sun_path) - 1;
  if (path.size() > limit) {
    std::string message = std::string("A ") + (abstract ? "abstract name" : "unix socket path") +
                          " is at most " + std::to_string(limit) + " bytes. Received " +
                          std::to_string(path.size());
    ThrowRangeError(env, "address.path", message.c_str());
    return false;
  }
  if (!abstract && path.find('\0') != std::string::npos) {
    ThrowInvalidValue(env,
                      "The unix socket path must not contain NUL bytes (only an abstract "
                      "name starts with one)");
    return false;
  }
  std::memcpy(sun->sun_path, path.data(), path.size());
  // storage was zeroed, so a filesystem path is already NUL-terminated.
  out->length =
      static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + (abstract ? 0 : 1));
  return true;
}

}  // namespace

bool ParseSockAddr(const Napi::CallbackInfo& info, size_t i, SockAddr* out) {
  Napi::Env env = info.Env();
  std::memset(&out->storage, 0, sizeof(out->storage));
  if (!info[i].IsObject()) {
    ThrowTypeError(env, "address", "an object such as { family: AF_INET, address, port }");
    return false;
  }
  Napi::Object obj = info[i].As<Napi::Object>();
  int64_t family;
  if (!GetIntField(env, obj, "family", 0, 65535, true, &family)) return false;
  switch (family) {
    case AF_INET:
      return ParseInet(env, obj, out);
    case AF_INET6:
      return ParseInet6(env, obj, out);
    case AF_UNIX:
      return ParseUnix(env, obj, out);
    case AF_UNSPEC:
      out->storage.ss_family = AF_UNSPEC;
      out->length = sizeof(sockaddr);
      return true;
    default:
      ThrowRangeError(
          env, "address.family",
          ("It must be AF_INET, AF_INET6, AF_UNIX or AF_UNSPEC. Received " + std::to_string(family))
              .c_str());
      return false;
  }
}

bool GetAddrTarget(const Napi::CallbackInfo& info, size_t i, bool* wanted) {
  Napi::Value value = info[i];
  if (value.IsNull() || value.IsUndefined()) {
    *wanted = false;
    return true;
  }
  if (!value.IsObject()) {
    ThrowTypeError(info.Env(), "address", "an object to receive the address, or null");
    return false;
  }
  *wanted = true;
  return true;
}

void WriteSockAddr(Napi::Env env, Napi::Object target, const sockaddr* addr, socklen_t length) {
  // An unnamed AF_UNIX peer (socketpair, an unbound client) comes back with only the family.
  const sa_family_t family = length >= sizeof(sa_family_t) ? addr->sa_family : AF_UNSPEC;
  target.Set("family", Napi::Number::New(env, family));
  switch (family) {
    case AF_INET: {
      const sockaddr_in* sin = reinterpret_cast<const sockaddr_in*>(addr);
      char text[INET_ADDRSTRLEN];
      inet_ntop(AF_INET, &sin->sin_addr, text, sizeof(text));
      target.Set("address", Napi::String::New(env, text));
      target.Set("port", Napi::Number::New(env, ntohs(sin->sin_port)));
      break;
    }
    case AF_INET6: {
      const sockaddr_in6* sin6 = reinterpret_cast<const sockaddr_in6*>(addr);
      char text[INET6_ADDRSTRLEN];
      inet_ntop(AF_INET6, &sin6->sin6_addr, text, sizeof(text));
      target.Set("address", Napi::String::New(env, text));
      target.Set("port", Napi::Number::New(env, ntohs(sin6->sin6_port)));
      target.Set("flowinfo", Napi::Number::New(env, ntohl(sin6->sin6_flowinfo)));
      target.Set("scopeId", Napi::Number::New(env, sin6->sin6_scope_id));
      break;
    }
    case AF_UNIX: {
      const sockaddr_un* sun = reinterpret_cast<const sockaddr_un*>(addr);
      const size_t base = offsetof(sockaddr_un, sun_path);
      size_t path_length = length > base ? length - base : 0;
      if (path_length > sizeof(sun->sun_path)) path_length = sizeof(sun->sun_path);
      // A filesystem path ends at its NUL; an abstract name (leading NUL) is exactly its length.
      if (path_length > 0 && sun->sun_path[0] != '\0')
        path_length = strnlen(sun->sun_path, path_length);
      target.Set("path", Napi::String::New(env, sun->sun_path, path_length));
      break;
    }
    default:
      break;
  }
}

}  // namespace syssock
