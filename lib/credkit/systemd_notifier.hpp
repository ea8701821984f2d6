// Tells systemd how `write-s3cfg --watch` is doing, through sd_notify: READY=1 once the files
// hold valid credentials, a one-line STATUS=, STOPPING=1, RELOADING=1 around a reload, and
// WATCHDOG=1 keep-alives when the unit sets WatchdogSec=. Outside systemd (NOTIFY_SOCKET
// unset), or when credkit was built without libsystemd, every call does nothing.
#pragma once

#include <optional>
#include <string_view>

#include "credkit/clock.hpp"
#include "credkit/refresher.hpp"

namespace credkit {

class SystemdNotifier final : public StatusNotifier {
public:
    // Reads the watchdog setting (WATCHDOG_USEC, for this process by WATCHDOG_PID) once.
    SystemdNotifier();

    void ready() override;
    // Newlines in the text become spaces: one would end the STATUS= assignment.
    void status(std::string_view text) override;
    void stopping() override;
    void reloading() override;
    void watchdog() override;
    [[nodiscard]] std::optional<Clock::Duration> watchdog_interval() const override {
        return watchdog_interval_;
    }

    // Whether credkit was built with libsystemd; without it the notifier is inert.
    [[nodiscard]] static bool supported();

private:
    std::optional<Clock::Duration> watchdog_interval_;
};

}  // namespace credkit
