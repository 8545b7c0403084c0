// See poller.h. The lifecycle, as libuv requires it:
//
//   pollerOpen: uv_poll_init ─► start/stop (any number of times) ─► close: uv_close
//                                                                    │ (stops at once: the fd
//                                                                    │  leaves epoll here)
//                                              close callback ◄──────┘ (next loop turn): the
//                                              uv_poll_t is freed, the JS object released
//
// While a handle is open its JS object is held strongly (it cannot be collected under libuv's
// feet); the close callback drops that hold. An error status (libuv stops the handle itself) is
// final for that handle: start() refuses to re-arm it and the owner closes it.
#include "poller.h"

#include <errno.h>
#include <poll.h>
#include <uv.h>

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "args.h"
#include "sys_calls.h"

namespace syssock {
namespace {

using Napi::CallbackInfo;
using Napi::Value;

class Poller;
struct PollerEnv;

// The libuv handle and what its callbacks need. libuv owns it from uv_poll_init until the close
// callback, which frees it; neither the Poller nor the registry ever deletes it.
struct PollHandle {
  uv_poll_t uv;
  int fd;
  Poller* owner;   // null once the Poller is gone
  PollerEnv* env;  // null once the registry is gone
};

// Per-environment instance data (one per main thread / worker): the handles still allocated.
struct PollerEnv {
  Napi::FunctionReference constructor;
  std::unordered_set<PollHandle*> live;        // open or closing: not yet freed
  std::unordered_map<int, PollHandle*> by_fd;  // open and not closing: one per fd
  // The fds the Socket objects of this environment own (lib/socket.ts: ownFd on construction,
  // disownFd on close/release). When the environment goes away with Sockets still open (a
  // worker's terminate(), process.exit() in it, an uncaught exception), no JavaScript runs to
  // close them and fds are the process's: the teardown closes them, as libuv closes net's.
  std::unordered_set<int> owned_fds;
  napi_async_cleanup_hook_handle cleanup = nullptr;
  bool tearing_down = false;

  ~PollerEnv() {
    // The cleanup hook has closed and freed every handle before the environment releases this
    // data; anything left over (never expected) must not point here any more.
    for (PollHandle* h : live) h->env = nullptr;
  }
};

#if defined(POLLRDHUP)
constexpr int kRdHup = POLLRDHUP;
#else
constexpr int kRdHup = 0;
#endif
constexpr int kAllowedEvents = POLLIN | POLLOUT | POLLPRI | kRdHup;

int ToUvEvents(int events) {
  int uv = 0;
  if (events & POLLIN) uv |= UV_READABLE;
  if (events & POLLOUT) uv |= UV_WRITABLE;
  if (events & POLLPRI) uv |= UV_PRIORITIZED;
  if (events & kRdHup) uv |= UV_DISCONNECT;
  return uv;
}

int FromUvEvents(int uv) {
  int events = 0;
  if (uv & UV_READABLE) events |= POLLIN;
  if (uv & UV_WRITABLE) events |= POLLOUT;
  if (uv & UV_PRIORITIZED) events |= POLLPRI;
  if (uv & UV_DISCONNECT) events |= kRdHup;
  return events;
}

class Poller : public Napi::ObjectWrap<Poller> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Poller",
                       {
                           InstanceMethod<&Poller::Start>("start"),
                           InstanceMethod<&Poller::Stop>("stop"),
                           InstanceMethod<&Poller::Close>("close"),
                           InstanceMethod<&Poller::JsRef>("ref"),
                           InstanceMethod<&Poller::JsUnref>("unref"),
                           InstanceMethod<&Poller::HasRef>("hasRef"),
                           InstanceAccessor<&Poller::GetFd>("fd"),
                           InstanceAccessor<&Poller::GetEvents>("events"),
                           InstanceAccessor<&Poller::GetState>("state"),
                           InstanceAccessor<&Poller::GetError>("error"),
                       });
  }

  // Only pollerOpen constructs one: info[0] is an External holding the initialised handle (which
  // JavaScript cannot forge), info[1] the callback.
  explicit Poller(const CallbackInfo& info) : Napi::ObjectWrap<Poller>(info) {
    if (info.Length() < 2 || !info[0].IsExternal() || !info[1].IsFunction()) {
      napi_throw_type_error(info.Env(), "ERR_ILLEGAL_CONSTRUCTOR",
                            "Poller objects are made by pollerOpen(fd, onEvent)");
      return;
    }
    handle_ = info[0].As<Napi::External<PollHandle>>().Data();
    handle_->owner = this;
    fd_ = handle_->fd;
    callback_ = Napi::Persistent(info[1].As<Napi::Function>());
    context_ = std::make_unique<Napi::AsyncContext>(info.Env(), "SyssockPoller",
                                                    info.This().As<Napi::Object>());
    Ref();  // held strongly while the handle is open; released in the close callback
  }

  ~Poller() override {
    if (handle_ == nullptr) return;
    // Only reachable if the environment finalises this object while its handle is still open,
    // which the cleanup hook prevents. Detach, and let libuv free the handle.
    handle_->owner = nullptr;
    if (!closing_) CloseHandle();
  }

  // uv_close. Safe to call in any state; libuv stops the handle synchronously (uv_poll's close
  // is uv_poll_stop + EPOLL_CTL_DEL), so the fd may be closed as soon as this returns.
  void CloseHandle() {
    if (handle_ == nullptr || closing_) return;
    closing_ = true;
    armed_ = 0;
    PollerEnv* data = handle_->env;
    if (data != nullptr) {
      auto it = data->by_fd.find(fd_);
      if (it != data->by_fd.end() && it->second == handle_) data->by_fd.erase(it);
    }
    uv_close(reinterpret_cast<uv_handle_t*>(&handle_->uv), OnClose);
  }

  // Marks the handle closing without calling uv_close (the cleanup hook does that itself).
  void MarkClosing() {
    closing_ = true;
    armed_ = 0;
  }

  static void OnClose(uv_handle_t* uv) {
    PollHandle* h = static_cast<PollHandle*>(uv->data);
    PollerEnv* data = h->env;
    Poller* owner = h->owner;
    if (data != nullptr) {
      data->live.erase(h);
      auto it = data->by_fd.find(h->fd);
      if (it != data->by_fd.end() && it->second == h) data->by_fd.erase(it);
    }
    bool tearing_down = data == nullptr || data->tearing_down;
    delete h;
    if (owner != nullptr) {
      owner->handle_ = nullptr;
      owner->closing_ = true;
      owner->armed_ = 0;
      // During teardown nothing touches JavaScript: the environment finalises the object itself.
      if (!tearing_down) owner->ReleaseJs();
    }
    if (data != nullptr && data->tearing_down && data->live.empty() && data->cleanup != nullptr) {
      napi_async_cleanup_hook_handle cleanup = data->cleanup;
      data->cleanup = nullptr;
      napi_remove_async_cleanup_hook(cleanup);
    }
  }

 private:
  void ReleaseJs() {
    Napi::HandleScope scope(Env());
    callback_.Reset();
    Unref();  // the object may now be collected
  }

  // libuv's events, as POLL* bits, and its status (an error status means POLLERR: libuv has
  // stopped the handle). No poll(2) here: most wake-ups only make the caller retry its syscall,
  // which reports the exact outcome; lib/poller.ts makes one poll(2) for the waits that resolve
  // with the kernel's own revents (POLLHUP, POLLERR … as poll(2) says them).
  static void OnPoll(uv_poll_t* uv, int status, int uv_events) {
    PollHandle* h = static_cast<PollHandle*>(uv->data);
    Poller* self = h->owner;
    if (self == nullptr || h->env == nullptr || h->env->tearing_down || self->closing_) return;
    if (status < 0) {
      // libuv has stopped the handle (uv__poll_io on POLLERR); it is never started again.
      self->armed_ = 0;
      self->error_ = status;
    }
    self->Deliver(status, FromUvEvents(uv_events) | (status < 0 ? POLLERR : 0));
  }

  void Deliver(int status, int revents) {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    if (callback_.IsEmpty()) return;
    napi_value argv[2] = {Napi::Number::New(env, status), Napi::Number::New(env, revents)};
    napi_value result;
    napi_status s =
        napi_make_callback(env, *context_, Value(), callback_.Value(), 2, argv, &result);
    if (s == napi_ok) return;
    // A throwing callback is an uncaught exception, as it would be from any other event source.
    bool pending = false;
    if (napi_is_exception_pending(env, &pending) == napi_ok && pending) {
      napi_value error;
      if (napi_get_and_clear_last_exception(env, &error) == napi_ok)
        napi_fatal_exception(env, error);
    }
  }

  // start(events) → 0 | -errno. events: POLLIN | POLLOUT | POLLPRI | POLLRDHUP, not 0.
  Napi::Value Start(const CallbackInfo& info) {
    int32_t events;
    if (!GetInt32(info, 0, "events", &events)) return {};
    if (events == 0 || (events & ~kAllowedEvents) != 0) {
      std::string message = "It must be a non-zero combination of POLLIN, POLLOUT, POLLPRI" +
                            std::string(kRdHup ? " and POLLRDHUP" : "") + ". Received " +
                            std::to_string(events);
      ThrowRangeError(info.Env(), "events", message.c_str());
      return {};
    }
    if (handle_ == nullptr || closing_) return Result(info.Env(), UV_EBADF);
    if (error_ != 0) return Result(info.Env(), error_);
    if (events == armed_) return Result(info.Env(), 0);
    int rc = uv_poll_start(&handle_->uv, ToUvEvents(events), OnPoll);
    if (rc == 0) armed_ = events;
    return Result(info.Env(), rc);
  }

  // stop() → 0 | -errno (-EBADF once closed).
  Napi::Value Stop(const CallbackInfo& info) {
    if (handle_ == nullptr || closing_) return Result(info.Env(), UV_EBADF);
    int rc = uv_poll_stop(&handle_->uv);
    if (rc == 0) armed_ = 0;
    return Result(info.Env(), rc);
  }

  // close() → undefined. Idempotent.
  Napi::Value Close(const CallbackInfo& info) {
    CloseHandle();
    return info.Env().Undefined();
  }

  Napi::Value JsRef(const CallbackInfo& info) {
    if (handle_ != nullptr && !closing_) uv_ref(reinterpret_cast<uv_handle_t*>(&handle_->uv));
    return info.Env().Undefined();
  }

  Napi::Value JsUnref(const CallbackInfo& info) {
    if (handle_ != nullptr && !closing_) uv_unref(reinterpret_cast<uv_handle_t*>(&handle_->uv));
    return info.Env().Undefined();
  }

  Napi::Value HasRef(const CallbackInfo& info) {
    bool has = handle_ != nullptr && !closing_ &&
               uv_has_ref(reinterpret_cast<uv_handle_t*>(&handle_->uv)) != 0;
    return Napi::Boolean::New(info.Env(), has);
  }

  Napi::Value GetFd(const CallbackInfo& info) { return Result(info.Env(), fd_); }

  Napi::Value GetEvents(const CallbackInfo& info) { return Result(info.Env(), armed_); }

  Napi::Value GetState(const CallbackInfo& info) {
    const char* state = handle_ == nullptr ? "closed"
                        : closing_         ? "closing"
                        : armed_ != 0      ? "active"
                                           : "idle";
    return Napi::String::New(info.Env(), state);
  }

  Napi::Value GetError(const CallbackInfo& info) { return Result(info.Env(), error_); }

  PollHandle* handle_ = nullptr;  // null once the close callback has run
  bool closing_ = false;
  int fd_ = -1;
  int armed_ = 0;  // the POLL* events the handle is started with (0: stopped)
  int error_ = 0;  // the error status libuv reported, if any
  Napi::FunctionReference callback_;
  std::unique_ptr<Napi::AsyncContext> context_;
};

// pollerOpen(fd, onEvent) → Poller, or -errno from uv_poll_init (-EEXIST when this environment
// already has a live handle for fd). The fd must already be nonblocking: uv_poll_init sets
// O_NONBLOCK itself, and lib/poller.ts checks first so that nothing is changed silently.
Value PollerOpen(const CallbackInfo& info) {
  Napi::Env env = info.Env();
  int32_t fd;
  if (!GetInt32(info, 0, "fd", &fd)) return {};
  if (fd < 0) {
    std::string message = "It must be >= 0. Received " + std::to_string(fd);
    ThrowRangeError(env, "fd", message.c_str());
    return {};
  }
  if (!info[1].IsFunction()) {
    ThrowTypeError(env, "onEvent", "of type function");
    return {};
  }
  PollerEnv* data = env.GetInstanceData<PollerEnv>();
  if (data->by_fd.count(fd) != 0) return Result(env, UV_EEXIST);
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) {
    Napi::Error::New(env, "napi_get_uv_event_loop failed").ThrowAsJavaScriptException();
    return {};
  }
  PollHandle* h = new PollHandle{};
  h->fd = fd;
  h->env = data;
  int rc = uv_poll_init(loop, &h->uv, fd);
  if (rc < 0) {
    delete h;  // uv_poll_init failed before registering the handle with the loop
    return Result(env, rc);
  }
  h->uv.data = h;
  data->live.insert(h);
  data->by_fd[fd] = h;
  Napi::Object object = data->constructor.New({Napi::External<PollHandle>::New(env, h), info[1]});
  if (object.IsEmpty() || h->owner == nullptr) {
    // Construction failed (an exception is pending): nobody owns the handle, so close it here.
    data->by_fd.erase(fd);
    uv_close(reinterpret_cast<uv_handle_t*>(&h->uv), Poller::OnClose);
    return {};
  }
  return object;
}

// pollerCount() → the handles of this environment not yet freed (open, or closing).
Value PollerCount(const CallbackInfo& info) {
  PollerEnv* data = info.Env().GetInstanceData<PollerEnv>();
  return Result(info.Env(), static_cast<int64_t>(data->live.size()));
}

// ownFd(fd) / disownFd(fd) → undefined: a Socket of this environment took / gave up fd.
Value OwnFd(const CallbackInfo& info) {
  int fd;
  if (!GetFd(info, 0, &fd)) return {};
  info.Env().GetInstanceData<PollerEnv>()->owned_fds.insert(fd);
  return info.Env().Undefined();
}

Value DisownFd(const CallbackInfo& info) {
  int fd;
  if (!GetFd(info, 0, &fd)) return {};
  info.Env().GetInstanceData<PollerEnv>()->owned_fds.erase(fd);
  return info.Env().Undefined();
}

// ownedFdCount() → how many fds the Sockets of this environment own (for tests).
Value OwnedFdCount(const CallbackInfo& info) {
  PollerEnv* data = info.Env().GetInstanceData<PollerEnv>();
  return Result(info.Env(), static_cast<int64_t>(data->owned_fds.size()));
}

// The environment is going away (worker exit or terminate(), or the main thread's teardown):
// close every live handle and report completion once the last close callback has run. Node
// keeps running the loop until then, and keeps this environment's napi_env alive, so the loop
// is never closed with a handle open and the objects are finalised only after their handles.
void OnTeardown(napi_async_cleanup_hook_handle handle, void* arg) {
  PollerEnv* data = static_cast<PollerEnv*>(arg);
  data->tearing_down = true;
  data->cleanup = handle;
  data->by_fd.clear();
  for (PollHandle* h : data->live) {
    if (h->owner != nullptr) h->owner->MarkClosing();
    uv_handle_t* uv = reinterpret_cast<uv_handle_t*>(&h->uv);
    if (!uv_is_closing(uv)) uv_close(uv, Poller::OnClose);
  }
  // uv_close has taken every fd out of epoll already, so the owned fds may be closed now. Their
  // Socket objects die with this environment and will never use the numbers again.
  for (int fd : data->owned_fds) sys_close(fd);  // Linux releases the fd whatever close reports
  data->owned_fds.clear();
  if (data->live.empty()) {
    data->cleanup = nullptr;
    napi_remove_async_cleanup_hook(handle);
  }
}

}  // namespace

void AddPoller(Napi::Env env, Napi::Object exports) {
  PollerEnv* data = new PollerEnv();
  data->constructor = Napi::Persistent(Poller::Define(env));
  env.SetInstanceData<PollerEnv>(data);  // deleted when the environment is torn down
  napi_async_cleanup_hook_handle registration = nullptr;
  napi_add_async_cleanup_hook(env, OnTeardown, data, &registration);
  exports.Set("pollerOpen", Napi::Function::New(env, PollerOpen, "pollerOpen"));
  exports.Set("pollerCount", Napi::Function::New(env, PollerCount, "pollerCount"));
  exports.Set("ownFd", Napi::Function::New(env, OwnFd, "ownFd"));
  exports.Set("disownFd", Napi::Function::New(env, DisownFd, "disownFd"));
  exports.Set("ownedFdCount", Napi::Function::New(env, OwnedFdCount, "ownedFdCount"));
}

}  // namespace syssock
