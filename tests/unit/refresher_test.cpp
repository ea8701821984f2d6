#include "credkit/refresher.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "credkit/signal_waiter.hpp"
#include "credkit/systemd_notifier.hpp"
#include "credkit/timestamp.hpp"

namespace credkit {
namespace {

using namespace std::chrono_literals;
using Duration = Clock::Duration;

const Clock::TimePoint kStart = std::chrono::sys_days{std::chrono::year{2026} / 12 / 3};
constexpr std::uint64_t kSeed = 42;

std::string at(Clock::TimePoint when) {
    return format_rfc3339(std::chrono::floor<Seconds>(when));
}

double seconds(Duration duration) {
    return std::chrono::duration<double>(duration).count();
}

// Faults the fake metadata service can show.
enum class Fault { outage, server_error, malformed, expired, partial };

// A fault that begins with the first fetch at or after `armed` and lasts `length`, so that
// a fault shorter than the refresh interval still meets the refresher.
struct FaultPlan {
    Clock::TimePoint armed;
    Duration length;
    Fault fault;
    std::optional<Clock::TimePoint> began;
    int hits = 0;
};

// The instance metadata service as the refresher sees it. Every `rotation` it starts serving
// new credentials valid for `lifetime`: with the defaults (1h, 6h) the credentials served
// always have five to six hours left, as on EC2.
class FakeImds {
public:
    FakeImds(const ManualClock& clock, Duration rotation, Duration lifetime)
        : clock_(clock), rotation_(rotation), lifetime_(lifetime) {}

    void add_fault(Clock::TimePoint armed, Duration length, Fault fault) {
        plans.push_back({armed, length, fault, std::nullopt, 0});
    }

    Result<Credentials> fetch() {
        ++fetches;
        const auto now = clock_.now();
        FaultPlan* plan = fault_at(now);
        last_answer_good = plan == nullptr;
        if (plan != nullptr) {
            ++plan->hits;
            return faulty(plan->fault, now);
        }
        last_good_key = served(now).access_key_id;
        return served(now);
    }

    // What a healthy service serves at `now`.
    [[nodiscard]] Credentials served(Clock::TimePoint now) const {
        const auto generation = (now - kStart) / rotation_;
        const auto expires = kStart + generation * rotation_ + lifetime_;
        return make(fmt::format("ASIAFAKEKEY{:09}", generation),
                    std::chrono::floor<Seconds>(expires), generation);
    }

    std::vector<FaultPlan> plans;
    int fetches = 0;
    bool last_answer_good = false;
    std::string last_good_key;

private:
    static Credentials make(std::string key_id, TimePoint expires, long generation) {
        Credentials credentials;
        credentials.access_key_id = std::move(key_id);
        credentials.secret_access_key = Secret(fmt::format("s3cr3t-{}", generation));
        credentials.session_token = Secret(fmt::format("t0k3n-{}", generation));
        credentials.expiration = expires;
        return credentials;
    }

    // The fault in force at `now`: the one under way, else the first armed one, which
    // begins now.
    FaultPlan* fault_at(Clock::TimePoint now) {
        for (auto& plan : plans) {
            if (plan.began && now < *plan.began + plan.length) {
                return &plan;
            }
        }
        for (auto& plan : plans) {
            if (!plan.began && now >= plan.armed) {
                plan.began = now;
                return &plan;
            }
        }
        return nullptr;
    }

    Result<Credentials> faulty(Fault fault, Clock::TimePoint now) const {
        switch (fault) {
            case Fault::outage:
                return fail(ErrorKind::imds_unavailable, "cannot get an imds session token",
                            "connection timed out after 1s");
            case Fault::server_error:
                return fail(ErrorKind::imds_unavailable, "cannot fetch credentials from imds",
                            "http status 503");
            case Fault::malformed:
                return fail(ErrorKind::failure, "cannot read the credentials from imds",
                            "no Expiration in the answer");
            case Fault::expired:
                // A stuck service repeating an old answer.
                return make("ASIAOLDANSWER0000OLD", std::chrono::floor<Seconds>(kStart - 1h), -1);
            case Fault::partial: {
                auto credentials = served(now);
                credentials.secret_access_key = Secret();
                return credentials;
            }
        }
        return fail(ErrorKind::failure, "unreachable", "");
    }

    const ManualClock& clock_;
    Duration rotation_;
    Duration lifetime_;
};

// The output files, as one: what the refresher last wrote, and every write that should never
// have happened.
struct FakeFile {
    const ManualClock& clock;
    std::optional<Credentials> content;
    int writes = 0;
    int failing_writes = 0;
    std::vector<std::string> problems;

    Result<int> write(const Credentials& credentials) {
        ++writes;
        const auto now = clock.now();
        if (credentials.access_key_id.empty() || credentials.secret_access_key.empty()) {
            problems.push_back(fmt::format("{}: partial credentials written", at(now)));
        }
        if (credentials.expiration && *credentials.expiration < now + 2min) {
            problems.push_back(fmt::format("{}: credentials expiring at {} written", at(now),
                                           format_rfc3339(*credentials.expiration)));
        }
        if (failing_writes > 0) {
            --failing_writes;
            return fail(ErrorKind::write_failed, "cannot write /srv/s3cfg",
                        "no space left on device");
        }
        const bool changed = !content || content->access_key_id != credentials.access_key_id;
        content = credentials;
        return changed ? 1 : 0;
    }
};

// Waits by moving the clock to the deadline, unless a scripted stop or reload comes first.
// Records every wait, and calls `on_arrival` whenever time has moved.
class ScriptedWaiter final : public Waiter {
public:
    struct Wait {
        Clock::TimePoint from;
        Clock::TimePoint until;
        [[nodiscard]] Duration length() const { return until - from; }
    };

    explicit ScriptedWaiter(ManualClock& clock) : clock_(clock) {}

    void schedule(Clock::TimePoint when, Wake wake) {
        events_.push_back({when, wake});
        std::ranges::sort(events_, {}, &Event::when);
    }

    Wake wait_until(Clock::TimePoint when) override {
        waits.push_back({clock_.now(), when});
        if (when <= clock_.now()) {
            ++busy_waits;
        }
        if (waits.size() > kRunaway) {
            return Wake::stop;
        }
        if (!events_.empty() && events_.front().when <= when) {
            const auto event = events_.front();
            events_.erase(events_.begin());
            advance_to(event.when);
            return event.wake;
        }
        advance_to(when);
        return Wake::due;
    }

    std::vector<Wait> waits;
    int busy_waits = 0;
    std::function<void()> on_arrival;

private:
    static constexpr std::size_t kRunaway = 5000;

    struct Event {
        Clock::TimePoint when;
        Wake wake;
    };

    void advance_to(Clock::TimePoint when) {
        if (when > clock_.now()) {
            clock_.advance(when - clock_.now());
        }
        if (on_arrival) {
            on_arrival();
        }
    }

    ManualClock& clock_;
    std::vector<Event> events_;
};

class RecordingNotifier final : public StatusNotifier {
public:
    explicit RecordingNotifier(const ManualClock& clock) : clock_(clock) {}

    void ready() override { events.emplace_back("ready"); }
    void status(std::string_view text) override { statuses.emplace_back(text); }
    void stopping() override { events.emplace_back("stopping"); }
    void reloading() override { events.emplace_back("reloading"); }
    void watchdog() override { pings.push_back(clock_.now()); }
    [[nodiscard]] std::optional<Duration> watchdog_interval() const override { return interval; }

    [[nodiscard]] long count(std::string_view event) const {
        return std::ranges::count(events, event);
    }

    std::vector<std::string> events;
    std::vector<std::string> statuses;
    std::vector<Clock::TimePoint> pings;
    std::optional<Duration> interval;

private:
    const ManualClock& clock_;
};

// A refresher wired to fakes, with the invariants of the output file checked whenever
// simulated time passes: the file never holds expired credentials, holds what the source
// served at the last good answer, and lags the source by at most `max_staleness`.
struct Simulation {
    explicit Simulation(Duration rotation = 1h, Duration lifetime = 6h)
        : imds(clock, rotation, lifetime) {
        waiter.on_arrival = [this] { check_file(); };
        policy.min_validity = 2min;
    }

    RefreshJob job() {
        return {[this] { return imds.fetch(); },
                [this](const Credentials& credentials) { return file.write(credentials); },
                [this]() -> Result<std::optional<RefreshPolicy>> {
                    ++reloads;
                    if (reload_error) {
                        return fail(*reload_error);
                    }
                    return reloaded_policy;
                }};
    }

    Refresher refresher() { return Refresher(policy, job(), clock, waiter, notifier, log, kSeed); }

    int run_until(Clock::TimePoint end) {
        waiter.schedule(end, Wake::stop);
        return refresher().run();
    }

    void check_file() {
        const auto now = clock.now();
        if (!file.content) {
            return;
        }
        if (file.content->expiration && *file.content->expiration <= now) {
            problems.push_back(fmt::format("{}: the file holds expired credentials", at(now)));
        }
        if (imds.last_answer_good && file.content->access_key_id != imds.last_good_key) {
            problems.push_back(fmt::format("{}: the file misses the last good answer", at(now)));
        }
        const auto lag = *imds.served(now).expiration - *file.content->expiration;
        if (lag > max_staleness) {
            problems.push_back(fmt::format("{}: the file lags the source by {}", at(now),
                                           format_duration(Seconds(lag))));
        }
    }

    [[nodiscard]] std::vector<std::string> all_problems() const {
        auto all = problems;
        all.insert(all.end(), file.problems.begin(), file.problems.end());
        return all;
    }

    [[nodiscard]] long lines_with(std::string_view text) const {
        return std::ranges::count_if(
            lines, [&](const std::string& line) { return line.find(text) != std::string::npos; });
    }

    // The lengths of the waits begun in [from, until), in order.
    [[nodiscard]] std::vector<Duration> waits_between(Clock::TimePoint from,
                                                      Clock::TimePoint until) const {
        std::vector<Duration> found;
        for (const auto& wait : waiter.waits) {
            if (wait.from >= from && wait.from < until) {
                found.push_back(wait.length());
            }
        }
        return found;
    }

    ManualClock clock{kStart};
    FakeImds imds;
    FakeFile file{clock};
    ScriptedWaiter waiter{clock};
    RecordingNotifier notifier{clock};
    std::vector<std::string> lines;
    Logger log{Verbosity::debug, [this](std::string_view line) { lines.emplace_back(line); }};
    RefreshPolicy policy;
    Duration max_staleness = 1h;
    int reloads = 0;
    std::optional<Error> reload_error;
    std::optional<RefreshPolicy> reloaded_policy;
    std::vector<std::string> problems;
};

void check_no_problems(const Simulation& simulation) {
    for (const auto& problem : simulation.all_problems()) {
        FAIL_CHECK(problem);
    }
}

}  // namespace

TEST_CASE("refresher keeps the file fresh through a healthy day, waking about hourly") {
    Simulation day;

    const int code = day.run_until(kStart + 24h);

    CHECK(code == 0);
    check_no_problems(day);
    CHECK(day.file.content->access_key_id == day.imds.last_good_key);
    CHECK(day.waiter.waits.size() >= 24);
    CHECK(day.waiter.waits.size() <= 30);
    CHECK(day.waiter.busy_waits == 0);
    CHECK(day.lines_with("credkit: warning:") == 0);
    CHECK(day.lines_with("credkit: info: refreshed: key ****") == day.imds.fetches);
}

TEST_CASE("refresher rides out a day of outages, errors and bad answers without stopping") {
    Simulation day;
    day.imds.add_fault(kStart + 2h, 20min, Fault::outage);
    day.imds.add_fault(kStart + 5h, 20min, Fault::server_error);
    day.imds.add_fault(kStart + 9h, 20min, Fault::malformed);
    day.imds.add_fault(kStart + 13h, 40min, Fault::expired);
    day.imds.add_fault(kStart + 17h, 20min, Fault::partial);
    day.imds.add_fault(kStart + 21h, 20min, Fault::outage);
    day.max_staleness = 2h;

    const int code = day.run_until(kStart + 24h);

    CHECK(code == 0);
    check_no_problems(day);
    for (const auto& plan : day.imds.plans) {
        CHECK(plan.hits >= 2);
    }
    CHECK(day.file.content->access_key_id == day.imds.last_good_key);
    CHECK(day.lines_with("credkit: warning:") == 6);
    CHECK(day.lines_with("credkit: note: recovered after") == 6);
    CHECK(day.waiter.waits.size() <= 100);
    CHECK(day.waiter.busy_waits == 0);
}

TEST_CASE("refresher warns once per kind of failure until it recovers") {
    Simulation run;
    run.imds.add_fault(kStart, 20min, Fault::outage);
    run.imds.add_fault(kStart + 20min, 20min, Fault::server_error);

    run.run_until(kStart + 2h);

    const auto& outage = run.imds.plans[0];
    const auto& server_error = run.imds.plans[1];
    CHECK(run.lines_with("credkit: warning:") == 2);
    CHECK(run.lines_with("credkit: warning: cannot get an imds session token: connection timed "
                         "out after 1s; retrying in 5s") == 1);
    CHECK(run.lines_with("credkit: debug: cannot get an imds session token") == outage.hits - 1);
    CHECK(run.lines_with("credkit: warning: cannot fetch credentials from imds: http status 503; "
                         "retrying in") == 1);
    CHECK(run.lines_with("credkit: debug: cannot fetch credentials from imds") ==
          server_error.hits - 1);
    CHECK(run.lines_with(fmt::format("credkit: note: recovered after {} failed attempts",
                                     outage.hits + server_error.hits)) == 1);
}

TEST_CASE("refresher warns again about a failure that returns after a recovery") {
    Simulation run;
    run.imds.add_fault(kStart + 1min, 10min, Fault::server_error);
    run.imds.add_fault(kStart + 3h, 10min, Fault::server_error);

    run.run_until(kStart + 5h);

    CHECK(run.lines_with("credkit: warning: cannot fetch credentials from imds: http status 503; "
                         "keeping the current files, retrying in") == 2);
    CHECK(run.lines_with("credkit: note: recovered after") == 2);
}

TEST_CASE("refresher backs off exponentially with jitter, capped at retry_max") {
    Simulation run;
    run.imds.add_fault(kStart, 2h, Fault::outage);

    run.run_until(kStart + 3h);

    const auto waits = run.waits_between(kStart, kStart + 2h);
    REQUIRE(waits.size() == static_cast<std::size_t>(run.imds.plans[0].hits));
    for (std::size_t i = 0; i < waits.size(); ++i) {
        const double backoff = std::min(300.0, std::ldexp(5.0, static_cast<int>(i)));
        CAPTURE(i);
        CHECK(seconds(waits[i]) <= backoff);
        CHECK(seconds(waits[i]) >= 0.9 * backoff);
    }
    CHECK(seconds(*std::ranges::max_element(waits)) <= 300.0);
    CHECK(run.file.content->access_key_id == run.imds.last_good_key);
    check_no_problems(run);
}

TEST_CASE("refresher jitter shortens each wait by at most the jitter fraction") {
    Simulation jittered;
    Simulation steady;
    steady.policy.jitter = 0;

    jittered.run_until(kStart + 24h);
    steady.run_until(kStart + 24h);

    std::vector<double> minutes;
    for (const auto& wait : jittered.waiter.waits) {
        minutes.push_back(seconds(wait.length()) / 60);
    }
    CHECK(*std::ranges::min_element(minutes) >= 54.0);
    CHECK(*std::ranges::max_element(minutes) <= 60.0);
    CHECK(*std::ranges::max_element(minutes) - *std::ranges::min_element(minutes) > 2.0);
    for (const auto& wait : steady.waiter.waits) {
        CHECK(wait.length() == 1h);
    }
}

TEST_CASE("refresher asks again at info level while the source has not rotated credentials") {
    // Credentials for an hour, replaced five minutes before they expire: inside the 15m
    // margin the refresher finds the same credentials for ten minutes.
    Simulation late(55min, 1h);

    const int code = late.run_until(kStart + 6h);

    CHECK(code == 0);
    check_no_problems(late);
    CHECK(late.lines_with("credkit: warning:") == 0);
    CHECK(late.lines_with("the source has not rotated the key yet") >= 6);
    CHECK(late.waiter.waits.size() <= 7 * 12);
    for (const auto& wait : late.waiter.waits) {
        CHECK(seconds(wait.length()) >= 4.5);  // never chasing the margin in ever shorter steps
    }
    CHECK(late.waiter.busy_waits == 0);
}

TEST_CASE("refresher keeps the file when the source serves partial or expiring credentials") {
    Simulation run;
    auto refresher = run.refresher();
    refresher.refresh_once();
    const auto good = *run.file.content;
    run.clock.advance(1h);
    run.imds.add_fault(kStart + 1h, 3min, Fault::partial);
    run.imds.add_fault(kStart + 1h + 3min, 3min, Fault::expired);

    refresher.refresh_once();
    run.clock.advance(3min);
    refresher.refresh_once();

    CHECK(run.file.writes == 1);
    CHECK(run.file.content->access_key_id == good.access_key_id);
    CHECK(refresher.consecutive_failures() == 2);
    CHECK(refresher.written_expiry() == good.expiration);
    CHECK(run.lines_with("credkit: warning: not writing the fetched credentials: key "
                         "****0001 comes without a secret access key") == 1);
    CHECK(run.lines_with("credkit: warning: not writing the fetched credentials: key ****0OLD "
                         "expired at 2026-12-02T23:00:00Z") == 1);
}

TEST_CASE("refresher refuses credentials that expire within min_validity") {
    Simulation run;
    run.clock.advance(6h - 1min);
    RefreshJob job = run.job();
    job.fetch = [&run] { return Result<Credentials>(run.imds.served(kStart)); };
    Refresher refresher(run.policy, job, run.clock, run.waiter, run.notifier, run.log, kSeed);

    refresher.refresh_once();

    CHECK(run.file.writes == 0);
    CHECK(run.lines_with("not writing the fetched credentials: key ****0000 is about to expire: "
                         "at 2026-12-03T06:00:00Z, less than 2m from now") == 1);
}

TEST_CASE("refresher counts a failed write as a failure and retries soon") {
    Simulation run;
    run.file.failing_writes = 1;
    auto refresher = run.refresher();

    const auto retry = refresher.refresh_once();
    run.clock.advance(retry - run.clock.now());
    refresher.refresh_once();

    CHECK(seconds(retry - kStart) <= 5.0);
    CHECK(seconds(retry - kStart) >= 4.5);
    CHECK(run.lines_with("warning: cannot write /srv/s3cfg: no space left on device") == 1);
    CHECK(refresher.consecutive_failures() == 0);
    CHECK(run.file.content.has_value());
}

TEST_CASE("refresher retries before the written credentials expire, whatever the backoff") {
    Simulation run;
    run.policy.retry_min = 10min;
    run.policy.retry_max = 1h;
    run.policy.jitter = 0;
    run.clock.advance(5h + 40min);
    bool down = false;
    RefreshJob job = run.job();
    job.fetch = [&down]() -> Result<Credentials> {
        if (down) {
            return fail(ErrorKind::imds_unavailable, "cannot reach imds", "connection refused");
        }
        Credentials credentials;
        credentials.access_key_id = "ASIAEXPIRESATSIX";
        credentials.secret_access_key = Secret("s3cr3t");
        credentials.expiration = std::chrono::floor<Seconds>(kStart + 6h);
        return credentials;
    };
    Refresher refresher(run.policy, job, run.clock, run.waiter, run.notifier, run.log, kSeed);
    refresher.refresh_once();
    down = true;
    run.clock.advance(5min);

    const auto first = refresher.refresh_once();
    run.clock.advance(first - run.clock.now());
    const auto second = refresher.refresh_once();
    run.clock.advance(second - run.clock.now());
    const auto third = refresher.refresh_once();

    CHECK(at(first) == "2026-12-03T05:55:00Z");   // 10m of backoff, before the deadline
    CHECK(at(second) == "2026-12-03T05:58:00Z");  // 20m cut to min_validity before expiry
    CHECK(at(third) == "2026-12-03T06:38:00Z");   // too late to matter: backoff again
}

TEST_CASE("refresher reload re-reads the configuration and refreshes at once") {
    Simulation run;
    run.waiter.schedule(kStart + 20min, Wake::reload);

    run.run_until(kStart + 30min);

    CHECK(run.reloads == 1);
    CHECK(run.imds.fetches == 2);
    CHECK(run.waiter.waits[1].from == kStart + 20min);
    CHECK(run.notifier.events ==
          std::vector<std::string>{"ready", "reloading", "ready", "stopping"});
}

TEST_CASE("refresher adopts the watch timings a reload brings") {
    Simulation run;
    RefreshPolicy shorter = run.policy;
    shorter.max_interval = 10min;
    run.reloaded_policy = shorter;
    run.waiter.schedule(kStart + 20min, Wake::reload);

    run.run_until(kStart + 40min);

    REQUIRE(run.waiter.waits.size() >= 3);
    CHECK(run.waiter.waits[0].length() > 50min);   // the hourly refresh of the old policy
    CHECK(run.waiter.waits[1].length() <= 10min);  // after the reload: at most 10 minutes
}

TEST_CASE("refresher keeps the old configuration when a reload fails, and still refreshes") {
    Simulation run;
    run.reload_error = make_error(ErrorKind::usage, "cannot read /etc/credkit.yaml",
                                  "line 3: "
                                  "unknown key 'outputz'");
    run.waiter.schedule(kStart + 20min, Wake::reload);

    const int code = run.run_until(kStart + 30min);

    CHECK(code == 0);
    CHECK(run.imds.fetches == 2);
    CHECK(run.lines_with("credkit: warning: cannot read /etc/credkit.yaml: line 3: unknown key "
                         "'outputz'; keeping the previous configuration") == 1);
}

TEST_CASE("refresher stops with 0 and tells the service manager") {
    Simulation run;

    const int code = run.run_until(kStart + 10min);

    CHECK(code == 0);
    CHECK(run.notifier.events.back() == "stopping");
    CHECK(run.clock.now() == kStart + 10min);
}

TEST_CASE("refresher reports ready after the first good write only, and status every time") {
    Simulation run;
    run.imds.add_fault(kStart, 1min, Fault::malformed);

    run.run_until(kStart + 3h);

    CHECK(run.notifier.count("ready") == 1);
    REQUIRE(run.notifier.statuses.size() >= 2);
    CHECK(run.notifier.statuses[0].starts_with(
        "last refresh failed: no Expiration in the answer; retrying in"));
    CHECK(run.notifier.statuses.back().starts_with("credentials expire 2026-12-03T"));
    CHECK(run.notifier.statuses.back().find("; next refresh ") != std::string::npos);
}

TEST_CASE("refresher pings the watchdog at half its interval when armed") {
    Simulation armed;
    armed.notifier.interval = 1min;
    Simulation unarmed;

    armed.run_until(kStart + 10min);
    unarmed.run_until(kStart + 10min);

    REQUIRE(armed.notifier.pings.size() == 19);
    for (std::size_t i = 0; i < armed.notifier.pings.size(); ++i) {
        CHECK(armed.notifier.pings[i] == kStart + 30s * static_cast<int>(i + 1));
    }
    CHECK(armed.imds.fetches == 1);
    CHECK(armed.waiter.busy_waits == 0);
    CHECK(unarmed.notifier.pings.empty());
    CHECK(unarmed.waiter.waits.size() == 1);
}

TEST_CASE("refresher never logs or reports a secret, even at debug level") {
    Simulation day;
    day.imds.add_fault(kStart + 2h, 20min, Fault::partial);
    day.imds.add_fault(kStart + 6h, 20min, Fault::expired);

    day.run_until(kStart + 12h);

    for (const auto& line : day.lines) {
        CHECK(line.find("s3cr3t") == std::string::npos);
        CHECK(line.find("t0k3n") == std::string::npos);
        CHECK(line.find("ASIAFAKEKEY") == std::string::npos);
    }
    for (const auto& status : day.notifier.statuses) {
        CHECK(status.find("s3cr3t") == std::string::npos);
    }
}

// The real waiter, with signals sent to this thread only: process-directed signals could go
// to another thread of the test runner and end it.
TEST_CASE("signal_waiter returns due at the deadline") {
    SignalWaiter waiter;
    const auto start = std::chrono::system_clock::now();

    const Wake wake = waiter.wait_until(start + 30ms);

    CHECK(wake == Wake::due);
    CHECK(std::chrono::system_clock::now() - start >= 30ms);
}

TEST_CASE("signal_waiter turns SIGHUP into reload and SIGTERM or SIGINT into stop") {
    SignalWaiter waiter;
    const auto later = std::chrono::system_clock::now() + 10s;

    pthread_kill(pthread_self(), SIGHUP);
    const Wake hup = waiter.wait_until(later);
    pthread_kill(pthread_self(), SIGTERM);
    const Wake term = waiter.wait_until(later);
    pthread_kill(pthread_self(), SIGINT);
    const Wake interrupt = waiter.wait_until(later);

    CHECK(hup == Wake::reload);
    CHECK(term == Wake::stop);
    CHECK(interrupt == Wake::stop);
}

TEST_CASE("signal_waiter prefers a pending signal to a passed deadline") {
    SignalWaiter waiter;

    pthread_kill(pthread_self(), SIGTERM);

    CHECK(waiter.wait_until(std::chrono::system_clock::now() - 1s) == Wake::stop);
    CHECK(waiter.wait_until(std::chrono::system_clock::now() - 1s) == Wake::due);
}

TEST_CASE("signal_waiter sleeps on to the deadline when another signal interrupts it") {
    struct sigaction action {};
    struct sigaction previous {};
    action.sa_handler = [](int) {};
    sigaction(SIGUSR1, &action, &previous);
    SignalWaiter waiter;
    const auto start = std::chrono::system_clock::now();
    const pthread_t self = pthread_self();
    std::thread interrupter([self] {
        std::this_thread::sleep_for(10ms);
        pthread_kill(self, SIGUSR1);
    });

    const Wake wake = waiter.wait_until(start + 60ms);
    interrupter.join();

    CHECK(wake == Wake::due);
    CHECK(std::chrono::system_clock::now() - start >= 60ms);
    sigaction(SIGUSR1, &previous, nullptr);
}

TEST_CASE("signal_waiter restores the signal mask it found") {
    sigset_t before;
    sigset_t during;
    sigset_t after;
    pthread_sigmask(SIG_BLOCK, nullptr, &before);

    {
        SignalWaiter waiter;
        pthread_sigmask(SIG_BLOCK, nullptr, &during);
        pthread_kill(pthread_self(), SIGHUP);  // left pending: dropped, not delivered
    }
    pthread_sigmask(SIG_BLOCK, nullptr, &after);

    CHECK(sigismember(&during, SIGTERM) == 1);
    CHECK(sigismember(&during, SIGHUP) == 1);
    CHECK(sigismember(&after, SIGHUP) == sigismember(&before, SIGHUP));
    CHECK(sigismember(&after, SIGTERM) == sigismember(&before, SIGTERM));
}

namespace {

// A datagram socket standing in for systemd's notification socket, named by NOTIFY_SOCKET
// for as long as it lives; the variables it changes are restored afterwards.
class NotifySocket {
public:
    NotifySocket() {
        char pattern[] = "/tmp/credkit-notify-XXXXXX";
        REQUIRE(mkdtemp(pattern) != nullptr);
        directory_ = pattern;
        path_ = directory_ / "notify";
        fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        REQUIRE(fd_ >= 0);
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        std::strncpy(address.sun_path, path_.c_str(), sizeof(address.sun_path) - 1);
        REQUIRE(bind(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0);
        save("NOTIFY_SOCKET");
        save("WATCHDOG_USEC");
        save("WATCHDOG_PID");
        setenv("NOTIFY_SOCKET", path_.c_str(), 1);
    }

    ~NotifySocket() {
        close(fd_);
        for (const auto& [name, value] : saved_) {
            if (value) {
                setenv(name.c_str(), value->c_str(), 1);
            } else {
                unsetenv(name.c_str());
            }
        }
        std::filesystem::remove_all(directory_);
    }

    NotifySocket(const NotifySocket&) = delete;
    NotifySocket& operator=(const NotifySocket&) = delete;

    // Every datagram received so far.
    std::vector<std::string> received() const {
        std::vector<std::string> messages;
        char buffer[4096];
        for (;;) {
            const auto size = recv(fd_, buffer, sizeof(buffer), MSG_DONTWAIT);
            if (size < 0) {
                return messages;
            }
            messages.emplace_back(buffer, static_cast<std::size_t>(size));
        }
    }

private:
    void save(const std::string& name) {
        const char* value = std::getenv(name.c_str());
        saved_.emplace_back(name, value ? std::optional<std::string>(value) : std::nullopt);
    }

    std::filesystem::path directory_;
    std::filesystem::path path_;
    int fd_ = -1;
    std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

}  // namespace

TEST_CASE("systemd notifier sends readiness, status, reloading and watchdog datagrams") {
    if (!SystemdNotifier::supported()) {
        MESSAGE("built without libsystemd: the notifier is inert");
        return;
    }
    NotifySocket socket;
    SystemdNotifier notifier;

    notifier.ready();
    notifier.status("credentials expire 2026-12-03T21:16:57Z;\nnext refresh 20:46:57Z");
    notifier.watchdog();
    notifier.reloading();
    notifier.stopping();

    const auto messages = socket.received();
    REQUIRE(messages.size() == 5);
    CHECK(messages[0] == "READY=1");
    CHECK(messages[1] == "STATUS=credentials expire 2026-12-03T21:16:57Z; next refresh 20:46:57Z");
    CHECK(messages[2] == "WATCHDOG=1");
    CHECK(messages[3].starts_with("RELOADING=1\nMONOTONIC_USEC="));
    CHECK(messages[4] == "STOPPING=1");
}

TEST_CASE("systemd notifier reads the watchdog interval meant for this process") {
    if (!SystemdNotifier::supported()) {
        return;
    }
    NotifySocket socket;
    setenv("WATCHDOG_USEC", "20000000", 1);
    setenv("WATCHDOG_PID", std::to_string(getpid()).c_str(), 1);
    const SystemdNotifier armed;
    setenv("WATCHDOG_PID", "1", 1);
    const SystemdNotifier for_another_process;

    CHECK(armed.watchdog_interval() == std::optional<Duration>(20s));
    CHECK_FALSE(for_another_process.watchdog_interval().has_value());
}

TEST_CASE("systemd notifier does nothing without NOTIFY_SOCKET") {
    NotifySocket socket;
    unsetenv("NOTIFY_SOCKET");
    unsetenv("WATCHDOG_USEC");
    SystemdNotifier notifier;

    notifier.ready();
    notifier.status("idle");

    CHECK(socket.received().empty());
    CHECK_FALSE(notifier.watchdog_interval().has_value());
}

}  // namespace credkit
