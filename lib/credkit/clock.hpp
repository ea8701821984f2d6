// Time as an injected dependency: code that reads the time or waits takes a Clock, so tests
// drive time with ManualClock instead of sleeping.
#pragma once

#include <atomic>
#include <chrono>

namespace credkit {

class Clock {
public:
    using TimePoint = std::chrono::system_clock::time_point;
    using Duration = std::chrono::system_clock::duration;

    virtual ~Clock() = default;
    [[nodiscard]] virtual TimePoint now() const = 0;
    virtual void sleep_for(Duration duration) = 0;

    [[nodiscard]] std::chrono::sys_seconds now_seconds() const {
        return std::chrono::floor<std::chrono::seconds>(now());
    }
};

// The real wall clock; sleep_for really sleeps.
class SystemClock final : public Clock {
public:
    [[nodiscard]] TimePoint now() const override;
    void sleep_for(Duration duration) override;
};

// A clock for tests: time stands still until advanced, and sleeping advances it at once. Safe
// to read from other threads (a server under test) while the test advances it.
class ManualClock final : public Clock {
public:
    explicit ManualClock(TimePoint start) : now_(start) {}
    [[nodiscard]] TimePoint now() const override { return now_.load(); }
    void sleep_for(Duration duration) override {
        slept_ = slept_.load() + duration;
        advance(duration);
    }
    void advance(Duration duration) { now_ = now_.load() + duration; }
    [[nodiscard]] Duration total_slept() const { return slept_.load(); }

private:
    std::atomic<TimePoint> now_;
    std::atomic<Duration> slept_{Duration{}};
};

}  // namespace credkit
