#include "credkit/refresher.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "credkit/secret.hpp"
#include "credkit/timestamp.hpp"

namespace credkit {
namespace {

using Duration = Clock::Duration;

// No wait is shorter than this, so that a policy of zeros, a jitter of 1 or a deadline that
// has just passed cannot turn the loop into a busy one.
constexpr Duration kShortestWait = std::chrono::seconds(1);

std::uint64_t seed_or_random(std::uint64_t seed) {
    if (seed != 0) {
        return seed;
    }
    std::random_device device;
    return (std::uint64_t{device()} << 32U) | device();
}

// Waits as a person reads them: "54m3s", to the nearest second.
std::string describe_wait(Duration wait) {
    return format_duration(std::chrono::round<Seconds>(std::max(wait, Duration::zero())));
}

// "20:46:57Z": a status line is read within the day it is written.
std::string time_of_day(Clock::TimePoint when) {
    const auto text = format_rfc3339(std::chrono::floor<Seconds>(when));
    return text.substr(text.find('T') + 1);
}

std::string describe(const Error& error) {
    return error.why.empty() ? error.what : error.what + ": " + error.why;
}

// Refuses what must never replace the files: incomplete credentials, and credentials that a
// reader could not use for at least min_validity. The reasons name the key by its last four
// characters and the expiry, but not the current time, so that the same answer repeated
// reads as the same failure and is warned about once.
Result<void> check_usable(const Credentials& credentials, Clock::TimePoint now,
                          Seconds min_validity) {
    constexpr std::string_view kWhat = "not writing the fetched credentials";
    const auto key = redact_key_id(credentials.access_key_id);
    if (credentials.access_key_id.empty()) {
        return fail(ErrorKind::no_credentials, std::string(kWhat), "the access key id is empty");
    }
    if (credentials.secret_access_key.empty()) {
        return fail(ErrorKind::no_credentials, std::string(kWhat),
                    fmt::format("key {} comes without a secret access key", key));
    }
    if (!credentials.expiration || *credentials.expiration >= now + min_validity) {
        return {};
    }
    const auto expires = format_rfc3339(*credentials.expiration);
    if (*credentials.expiration <= now) {
        return fail(ErrorKind::no_credentials, std::string(kWhat),
                    fmt::format("key {} expired at {}", key, expires));
    }
    return fail(ErrorKind::no_credentials, std::string(kWhat),
                fmt::format("key {} is about to expire: at {}, less than {} from now", key, expires,
                            format_duration(min_validity)));
}

}  // namespace

// What a successful attempt wrote.
struct Refresher::Written {
    std::string key_id;
    std::optional<TimePoint> expiration;
    int files_changed = 0;
};

Refresher::Refresher(RefreshPolicy policy, RefreshJob job, Clock& clock, Waiter& waiter,
                     StatusNotifier& notifier, const Logger& log, std::uint64_t jitter_seed)
    : policy_(std::move(policy)),
      job_(std::move(job)),
      clock_(clock),
      waiter_(waiter),
      notifier_(notifier),
      log_(log),
      jitter_(seed_or_random(jitter_seed)) {
    policy_.jitter = std::isnan(policy_.jitter) ? 0.0 : std::clamp(policy_.jitter, 0.0, 1.0);
}

int Refresher::run() {
    arm_watchdog();
    auto next = refresh_once();
    for (;;) {
        ping_watchdog_if_due();
        const Wake wake = waiter_.wait_until(wake_time(next));
        if (wake == Wake::stop) {
            log_.info("stopping");
            notifier_.stopping();
            return 0;
        }
        if (wake == Wake::reload) {
            next = reload_and_refresh();
        } else if (clock_.now() >= next) {
            next = refresh_once();
        }
        // Otherwise the wait ended for the watchdog, or early: wait again for what is left.
    }
}

Clock::TimePoint Refresher::refresh_once() {
    auto written = attempt();
    const auto now = clock_.now();
    return written ? after_success(*written, now) : after_failure(written.error(), now);
}

Result<Refresher::Written> Refresher::attempt() {
    auto credentials = job_.fetch();
    if (!credentials) {
        return fail(std::move(credentials.error()));
    }
    if (auto usable = check_usable(*credentials, clock_.now(), policy_.min_validity); !usable) {
        return fail(std::move(usable.error()));
    }

    auto changed = job_.write(*credentials);
    if (!changed) {
        return fail(std::move(changed.error()));
    }
    return Written{credentials->access_key_id, credentials->expiration, *changed};
}

Clock::TimePoint Refresher::after_success(const Written& written, Clock::TimePoint now) {
    if (failures_ > 0) {
        log_.note("recovered after {} failed attempt{}", failures_, failures_ == 1 ? "" : "s");
    }
    failures_ = 0;
    reported_.clear();
    written_expiry_ = written.expiration;
    if (!ready_) {
        ready_ = true;
        notifier_.ready();
    }

    const auto next = schedule_after_success(written, now);
    report_success(written, now);
    return next;
}

// The next refresh is due when the credentials come within the refresh margin of expiry, or
// after the max interval, whichever is first; jitter brings it forward.
Clock::TimePoint Refresher::schedule_after_success(const Written& written, Clock::TimePoint now) {
    auto due = now + policy_.max_interval;
    if (written.expiration) {
        due = std::min(due, Clock::TimePoint(*written.expiration - policy_.refresh_margin));
    }
    if (inside_margin(due, now)) {
        // The source has not rotated the credentials yet (IMDS serves new ones at least five
        // minutes before the old expire): ask again soon, which is not a failure.
        ++unrotated_;
        next_ = retry_time(unrotated_, now);
    } else {
        unrotated_ = 0;
        due_ = due;
        next_ = now + std::max(jittered(due - now), kShortestWait);
    }
    return next_;
}

// Whether a refresh that has just succeeded leaves nothing to wait for: the new due time has
// come, or this refresh was scheduled (by jitter, a little early; or as a retry) and the due
// time of the last schedule has not moved on. Without the second case, a refresh that jitter
// moved ahead of the refresh margin would find the same credentials just outside it, and
// schedule ever shorter waits towards the same moment.
bool Refresher::inside_margin(Clock::TimePoint due, Clock::TimePoint now) const {
    return due <= now || (now >= next_ && due <= due_);
}

void Refresher::report_success(const Written& written, Clock::TimePoint now) {
    const auto expires =
        written.expiration ? format_rfc3339(*written.expiration) : std::string("never");
    const auto unrotated = unrotated_ == 0
                               ? std::string()
                               : fmt::format(
                                     " (the source has not rotated the key yet, inside the "
                                     "refresh margin of {})",
                                     format_duration(policy_.refresh_margin));
    log_.info("refreshed: key {}, expires {}, next refresh in {}{}, {} file{} changed",
              redact_key_id(written.key_id), expires, describe_wait(next_ - now), unrotated,
              written.files_changed, written.files_changed == 1 ? "" : "s");
    notifier_.status(
        fmt::format("credentials expire {}; next refresh {}", expires, time_of_day(next_)));
}

Clock::TimePoint Refresher::after_failure(const Error& error, Clock::TimePoint now) {
    ++failures_;
    next_ = retry_time(failures_, now);
    report_failure(error, next_ - now);
    notifier_.status(fmt::format("last refresh failed: {}; retrying in {}",
                                 error.why.empty() ? error.what : error.why,
                                 describe_wait(next_ - now)));
    return next_;
}

// Each kind of failure is a warning once, until a refresh succeeds; its repeats are debug
// lines, so that an outage of an hour does not fill the journal.
void Refresher::report_failure(const Error& error, Duration wait) {
    const auto message =
        fmt::format("{}; {}retrying in {}", describe(error),
                    ready_ ? "keeping the current files, " : "", describe_wait(wait));
    if (reported_.insert(error.what + '\n' + error.why).second) {
        log_.warning("{}", message);
    } else {
        log_.debug("{} (attempt {})", message, failures_);
    }
}

// The attempt-th retry in a row: capped exponential backoff with jitter, but never past the
// last moment at which new credentials can replace the written ones before those expire.
// That moment is min_validity before their expiry: later, the same answer from the source
// would be refused as about to expire, and a long backoff could leave the files holding
// expired credentials for retry_max after the source recovered. Once the moment has passed
// the files go stale whatever we do, and the plain backoff protects the source.
Clock::TimePoint Refresher::retry_time(int attempt, Clock::TimePoint now) {
    auto next = now + jittered(backoff(attempt));
    if (written_expiry_) {
        const Clock::TimePoint last_chance = *written_expiry_ - policy_.min_validity;
        if (now < last_chance) {
            next = std::min(next, last_chance);
        }
    }
    return std::max(next, now + kShortestWait);
}

// retry_min, doubled for each further attempt, at most retry_max.
Duration Refresher::backoff(int attempt) const {
    const Duration cap = policy_.retry_max;
    Duration wait = policy_.retry_min;
    for (int i = 1; i < attempt && wait < cap; ++i) {
        wait *= 2;
    }
    return std::min(wait, cap);
}

// Shortens a wait by a random fraction in [0, jitter), so that many hosts started together do
// not ask the source at the same moment for ever. Uses the top 53 bits of the generator, which
// gives the same waits for a seed on every platform (std::uniform_real_distribution may not).
Duration Refresher::jittered(Duration wait) {
    const double unit = static_cast<double>(jitter_() >> 11U) * 0x1.0p-53;
    const double cut = static_cast<double>(wait.count()) * policy_.jitter * unit;
    return wait - Duration(static_cast<Duration::rep>(cut));
}

Clock::TimePoint Refresher::reload_and_refresh() {
    const bool was_ready = ready_;
    notifier_.reloading();
    if (job_.reload) {
        if (auto reloaded = job_.reload(); !reloaded) {
            log_.warning("{}; keeping the previous configuration", describe(reloaded.error()));
        } else {
            if (*reloaded) {
                policy_ = **reloaded;
            }
            log_.info("configuration reloaded");
        }
    }
    const auto next = refresh_once();
    // A first success sends READY=1 by itself; before one, the service is not ready yet.
    if (was_ready) {
        notifier_.ready();
    }
    return next;
}

void Refresher::arm_watchdog() {
    const auto interval = notifier_.watchdog_interval();
    if (interval && *interval > Duration::zero()) {
        watchdog_every_ = *interval / 2;
        watchdog_due_ = clock_.now() + *watchdog_every_;
    }
}

void Refresher::ping_watchdog_if_due() {
    const auto now = clock_.now();
    if (watchdog_every_ && now >= watchdog_due_) {
        notifier_.watchdog();
        watchdog_due_ = now + *watchdog_every_;
    }
}

// The watchdog is the only reason to wake before a refresh is due.
Clock::TimePoint Refresher::wake_time(Clock::TimePoint next) const {
    return watchdog_every_ ? std::min(next, watchdog_due_) : next;
}

}  // namespace credkit
