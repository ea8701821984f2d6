// The engine behind `write-s3cfg --watch`: keeps credential files fresh for as long as it
// runs. It refreshes when the credentials come within the refresh margin of expiry, and at
// least every max interval, a little early by a random jitter. When a refresh fails it keeps
// the last good files, retries with capped exponential backoff, logs each kind of failure once
// until it recovers, and never writes credentials that are expired, about to expire, or
// incomplete. Between refreshes it sleeps until the next one is due (or a signal arrives).
//
// Time, waiting, fetching, writing and service notification are all injected, so that tests
// drive the refresher through a simulated day in milliseconds.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>

#include "credkit/clock.hpp"
#include "credkit/credentials.hpp"
#include "credkit/duration.hpp"
#include "credkit/error.hpp"
#include "credkit/logger.hpp"

namespace credkit {

struct RefreshPolicy {
    Seconds refresh_margin = std::chrono::minutes(15);  // refresh this long before expiry
    Seconds max_interval = std::chrono::hours(1);       // and at least this often
    Seconds retry_min = std::chrono::seconds(5);        // first wait after a failure
    Seconds retry_max = std::chrono::minutes(5);        // cap of the backoff
    Seconds min_validity = std::chrono::minutes(2);     // shorter-lived credentials are refused
    double jitter = 0.1;  // each wait is shortened by up to this fraction, at random
};

// Why a wait ended.
enum class Wake { due, stop, reload };

// Sleeps until a point in time, or until something (a signal) interrupts the sleep.
class Waiter {
public:
    virtual ~Waiter() = default;
    virtual Wake wait_until(Clock::TimePoint when) = 0;
};

// Tells a service manager how the refresher is doing. The default does nothing.
class StatusNotifier {
public:
    virtual ~StatusNotifier() = default;
    virtual void ready() {}
    virtual void status(std::string_view /*text*/) {}
    virtual void stopping() {}
    virtual void reloading() {}
    virtual void watchdog() {}
    // How often watchdog() must be called, when a watchdog is armed.
    [[nodiscard]] virtual std::optional<Clock::Duration> watchdog_interval() const { return {}; }
};

// What one refresh does, supplied by the caller.
struct RefreshJob {
    std::function<Result<Credentials>()> fetch;
    // Writes every output from valid credentials; returns how many files changed.
    std::function<Result<int>(const Credentials&)> write;
    // Re-reads the configuration (SIGHUP); may be empty. A policy it returns replaces the
    // refresher's own from then on.
    std::function<Result<std::optional<RefreshPolicy>>()> reload;
};

class Refresher {
public:
    // A jitter_seed of 0 seeds from std::random_device, so that a fleet started at once spreads
    // out; tests pass a fixed seed to get the same waits on every run.
    Refresher(RefreshPolicy policy, RefreshJob job, Clock& clock, Waiter& waiter,
              StatusNotifier& notifier, const Logger& log, std::uint64_t jitter_seed = 0);

    // One refresh attempt (fetch, check, write); returns when the next one is due.
    Clock::TimePoint refresh_once();

    // Refreshes, then sleeps until due, until the waiter reports a stop. SIGHUP-style reloads
    // re-read the configuration and refresh at once. Returns the process exit code (0).
    int run();

    // The expiry of the credentials last written, if any.
    [[nodiscard]] std::optional<TimePoint> written_expiry() const { return written_expiry_; }
    [[nodiscard]] int consecutive_failures() const { return failures_; }

private:
    struct Written;

    Result<Written> attempt();
    Clock::TimePoint after_success(const Written& written, Clock::TimePoint now);
    Clock::TimePoint after_failure(const Error& error, Clock::TimePoint now);
    Clock::TimePoint schedule_after_success(const Written& written, Clock::TimePoint now);
    [[nodiscard]] bool inside_margin(Clock::TimePoint due, Clock::TimePoint now) const;
    Clock::TimePoint retry_time(int attempt, Clock::TimePoint now);
    Clock::Duration backoff(int attempt) const;
    Clock::Duration jittered(Clock::Duration wait);
    void report_failure(const Error& error, Clock::Duration wait);
    void report_success(const Written& written, Clock::TimePoint now);
    Clock::TimePoint reload_and_refresh();
    void arm_watchdog();
    void ping_watchdog_if_due();
    [[nodiscard]] Clock::TimePoint wake_time(Clock::TimePoint next) const;

    RefreshPolicy policy_;
    RefreshJob job_;
    Clock& clock_;
    Waiter& waiter_;
    StatusNotifier& notifier_;
    const Logger& log_;
    std::mt19937_64 jitter_;
    std::optional<TimePoint> written_expiry_;
    int failures_ = 0;
    // When the next refresh was asked for (brought forward by jitter, or a retry), and when the
    // last successful refresh found the next one due.
    Clock::TimePoint next_;
    Clock::TimePoint due_;
    // Successful refreshes in a row that found the credentials already inside the refresh
    // margin: the source has not rotated them yet, and is asked again with backoff.
    int unrotated_ = 0;
    // Identities (what + why) of the failures warned about since the last success.
    std::set<std::string> reported_;
    bool ready_ = false;
    // Half the watchdog interval, when a watchdog is armed, and when the next ping is due.
    std::optional<Clock::Duration> watchdog_every_;
    Clock::TimePoint watchdog_due_;
};

}  // namespace credkit
