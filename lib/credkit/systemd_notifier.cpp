#include "credkit/systemd_notifier.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <string>

#include <fmt/format.h>

#ifdef CREDKIT_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

namespace credkit {
namespace {

// A notification that cannot be delivered is not worth failing or even logging for: the
// service manager that would read it is the one that is gone. sd_notify does nothing when
// NOTIFY_SOCKET is unset, and leaves it set for the notifications that follow.
void notify(const std::string& message) {
#ifdef CREDKIT_HAVE_SYSTEMD
    static_cast<void>(sd_notify(0, message.c_str()));
#else
    static_cast<void>(message);
#endif
}

std::optional<Clock::Duration> read_watchdog_interval() {
#ifdef CREDKIT_HAVE_SYSTEMD
    std::uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
        return std::chrono::microseconds(usec);
    }
#endif
    return std::nullopt;
}

// systemd 253 and later (Type=notify-reload) want RELOADING=1 stamped with CLOCK_MONOTONIC;
// older versions ignore the extra field.
std::uint64_t monotonic_usec() {
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC, &now);
    return static_cast<std::uint64_t>(now.tv_sec) * 1'000'000U +
           static_cast<std::uint64_t>(now.tv_nsec) / 1'000U;
}

}  // namespace

SystemdNotifier::SystemdNotifier() : watchdog_interval_(read_watchdog_interval()) {}

bool SystemdNotifier::supported() {
#ifdef CREDKIT_HAVE_SYSTEMD
    return true;
#else
    return false;
#endif
}

void SystemdNotifier::ready() {
    notify("READY=1");
}

void SystemdNotifier::status(std::string_view text) {
    std::string line(text);
    std::replace(line.begin(), line.end(), '\n', ' ');
    notify("STATUS=" + line);
}

void SystemdNotifier::stopping() {
    notify("STOPPING=1");
}

void SystemdNotifier::reloading() {
    notify(fmt::format("RELOADING=1\nMONOTONIC_USEC={}", monotonic_usec()));
}

void SystemdNotifier::watchdog() {
    notify("WATCHDOG=1");
}

}  // namespace credkit
