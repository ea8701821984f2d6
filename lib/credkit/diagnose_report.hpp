// `credkit diagnose` as a whole: each chosen tool's verdict, the hazards, the exit code on the
// monitoring scale, and the two renderings (a report for people, JSON for programs).
#pragma once

#include <string>
#include <vector>

#include "credkit/diagnosis.hpp"

namespace credkit {

struct Diagnosis {
    std::vector<ToolVerdict> verdicts;
    std::vector<Hazard> hazards;  // the most serious first

    // 0 nothing found, 1 warnings, 2 a tool has no usable credentials or will fail.
    [[nodiscard]] int exit_code() const;
};

// "ok", "unverified" (a source whose key diagnose could not see), "no-credentials" or "fails".
std::string_view verdict_status(const ToolVerdict& verdict);

Diagnosis diagnose(const MachineView& view, const std::vector<Tool>& tools);

// A table per tool, then the probe, the hazards and their fixes.
std::string render_text(const Diagnosis& diagnosis, const MachineView& view);

// One JSON object; the schema is documented in credkit-diagnose(1).
std::string render_json(const Diagnosis& diagnosis, const MachineView& view);

}  // namespace credkit
