// The poller: one libuv poll handle (uv_poll_t) per fd, on the loop of the environment that made
// it (napi_get_uv_event_loop, never uv_default_loop), so awaiting readiness takes no thread.
//
// Exports added to the addon:
//   pollerOpen(fd, onEvent) → Poller | -errno   uv_poll_init; one live handle per fd per
//                                               environment (a second gives -EEXIST)
//   pollerCount() → number                      handles of this environment not yet freed
//   ownFd(fd), disownFd(fd), ownedFdCount()     the fds this environment's Sockets own; the
//                                               teardown closes those still owned
//   Poller: start(events) → 0 | -errno          uv_poll_start with POLLIN/POLLOUT/POLLPRI/POLLRDHUP
//           stop() → 0 | -errno                 uv_poll_stop
//           close()                             uv_close: stops the handle at once (the fd is
//                                               removed from epoll before close() returns, so the
//                                               fd may be closed right after); the memory is freed
//                                               in the close callback
//           ref() / unref() / hasRef()          uv_ref / uv_unref / uv_has_ref
//           fd, events (armed), state ('idle' | 'active' | 'closing' | 'closed'), error
//
// onEvent(status, revents) runs on the loop thread. status is 0, or libuv's negative error (an
// error status stops the handle: it is never started again, start() returns that status).
// revents is what libuv reported, as POLL* bits: POLLIN/POLLOUT/POLLPRI/POLLRDHUP, and POLLERR
// with an error status. libuv folds POLLHUP and POLLERR into the events the handle is armed
// with, so every wake-up that matters reaches a waiter; the kernel's exact revents (POLLHUP,
// POLLNVAL …) take a poll(2), which lib/poller.ts makes only for the waits that promise them.
//
// No static state: the registry of live handles is per-environment instance data, and an async
// environment cleanup hook closes every live handle when the environment (a worker_thread, say)
// goes away, waiting for their close callbacks, so a loop is never closed with a handle open.
// This file owns the addon's instance-data slot.
#ifndef SYSSOCK_POLLER_H_
#define SYSSOCK_POLLER_H_

#include <napi.h>

namespace syssock {

// Sets up the per-environment registry and cleanup hook and adds pollerOpen/pollerCount.
void AddPoller(Napi::Env env, Napi::Object exports);

}  // namespace syssock

#endif  // SYSSOCK_POLLER_H_
