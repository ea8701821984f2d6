#include "credkit/signal_waiter.hpp"

#include <algorithm>
#include <cerrno>
#include <ctime>

#include <pthread.h>

namespace credkit {
namespace {

timespec to_timespec(Clock::Duration duration) {
    const auto seconds = std::chrono::floor<std::chrono::seconds>(duration);
    const auto nanoseconds =
        std::chrono::duration_cast<std::chrono::nanoseconds>(duration - seconds);
    return timespec{static_cast<std::time_t>(seconds.count()),
                    static_cast<long>(nanoseconds.count())};
}

Wake wake_for(int signal) {
    return signal == SIGHUP ? Wake::reload : Wake::stop;
}

}  // namespace

SignalWaiter::SignalWaiter() {
    sigemptyset(&signals_);
    sigaddset(&signals_, SIGTERM);
    sigaddset(&signals_, SIGINT);
    sigaddset(&signals_, SIGHUP);
    // Fails only for an invalid `how`, which this is not.
    pthread_sigmask(SIG_BLOCK, &signals_, &previous_);
}

SignalWaiter::~SignalWaiter() {
    const timespec no_wait{};
    while (sigtimedwait(&signals_, nullptr, &no_wait) > 0) {
    }
    pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
}

Wake SignalWaiter::wait_until(Clock::TimePoint when) {
    for (;;) {
        const auto remaining = when - std::chrono::system_clock::now();
        const timespec timeout = to_timespec(std::max(remaining, Clock::Duration::zero()));
        const int signal = sigtimedwait(&signals_, nullptr, &timeout);
        if (signal > 0) {
            return wake_for(signal);
        }
        // EINTR: another signal ran its handler; sleep again for what is left. EAGAIN is the
        // deadline; anything else (EINVAL cannot happen here) is treated as one too, which
        // the refresher survives by checking the time and waiting again.
        if (errno != EINTR) {
            return Wake::due;
        }
    }
}

}  // namespace credkit
