// How `write-s3cfg --watch` waits in a real process: it sleeps until the next refresh is due,
// unless SIGTERM or SIGINT (stop) or SIGHUP (reload the configuration) comes first. The three
// signals are blocked and taken synchronously with sigtimedwait, so no handler runs in the
// middle of a write, and a signal that arrives while a refresh is under way stays pending
// until the next wait, which then returns at once.
#pragma once

#include <csignal>

#include "credkit/clock.hpp"
#include "credkit/refresher.hpp"

namespace credkit {

class SignalWaiter final : public Waiter {
public:
    // Blocks SIGTERM, SIGINT and SIGHUP in the calling thread. Construct it before any other
    // thread starts: threads inherit the mask, and a thread that had the signals unblocked
    // would take one and die by its default action.
    SignalWaiter();
    // Drops the signals still pending, so that unblocking them does not kill the process on
    // its way out, and restores the mask the constructor found.
    ~SignalWaiter() override;

    SignalWaiter(const SignalWaiter&) = delete;
    SignalWaiter& operator=(const SignalWaiter&) = delete;

    // Sleeps in one sigtimedwait until `when` by the system clock. A signal already pending
    // wins over a deadline already passed.
    //
    // TODO: sigtimedwait measures its timeout on the monotonic clock, which stands still while
    // the machine is suspended or hibernated, so after a resume the refresh comes late by the
    // time asleep (at most max_interval, since no wait is longer). A CLOCK_REALTIME timer
    // (timer_create with TIMER_ABSTIME) delivering a fourth signal would follow the wall clock.
    Wake wait_until(Clock::TimePoint when) override;

private:
    sigset_t signals_{};
    sigset_t previous_{};
};

}  // namespace credkit
