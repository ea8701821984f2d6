#include "credkit/clock.hpp"

#include <thread>

namespace credkit {

Clock::TimePoint SystemClock::now() const {
    return std::chrono::system_clock::now();
}

void SystemClock::sleep_for(Duration duration) {
    std::this_thread::sleep_for(duration);
}

}  // namespace credkit
