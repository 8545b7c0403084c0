#include "layouts.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cstddef>
#include <type_traits>

namespace syssock {

void AddField(Napi::Env env, Napi::Object fields, const char* name, size_t offset, size_t size,
              bool is_signed) {
  Napi::Array field = Napi::Array::New(env, 3);
  field.Set(0u, Napi::Number::New(env, static_cast<double>(offset)));
  field.Set(1u, Napi::Number::New(env, static_cast<double>(size)));
  field.Set(2u, Napi::Boolean::New(env, is_signed));
  fields.Set(name, field);
}

namespace {

Napi::Object Struct(Napi::Env env, Napi::Object target, const char* name, size_t size) {
  Napi::Object layout = Napi::Object::New(env);
  layout.Set("size", Napi::Number::New(env, static_cast<double>(size)));
  Napi::Object fields = Napi::Object::New(env);
  layout.Set("fields", fields);
  target.Set(name, layout);
  return fields;
}

}  // namespace

#define FIELD(fields, type, member)                                                        \
  AddField(env, fields, #member, offsetof(type, member), sizeof(((type*)nullptr)->member), \
           std::is_signed<decltype(((type*)nullptr)->member)>::value)

void AddLayouts(Napi::Env env, Napi::Object target) {
  Napi::Object int_fields = Struct(env, target, "int", sizeof(int));
  AddField(env, int_fields, "value", 0, sizeof(int), true);

  Napi::Object linger_fields = Struct(env, target, "linger", sizeof(linger));
  FIELD(linger_fields, linger, l_onoff);
  FIELD(linger_fields, linger, l_linger);

  Napi::Object timeval_fields = Struct(env, target, "timeval", sizeof(timeval));
  FIELD(timeval_fields, timeval, tv_sec);
  FIELD(timeval_fields, timeval, tv_usec);

  Napi::Object pollfd_fields = Struct(env, target, "pollfd", sizeof(pollfd));
  FIELD(pollfd_fields, pollfd, fd);
  FIELD(pollfd_fields, pollfd, events);
  FIELD(pollfd_fields, pollfd, revents);

  AddTcpInfoLayout(env, target);
}

#undef FIELD

}  // namespace syssock
