#include "credkit/diagnose_report.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "credkit/botocore_model.hpp"
#include "credkit/duration.hpp"
#include "credkit/hazards.hpp"
#include "credkit/htslib_model.hpp"
#include "credkit/s3cmd_model.hpp"
#include "credkit/secret.hpp"

namespace credkit {
namespace {

using Json = nlohmann::ordered_json;

std::string_view transport_name(TransportFailure failure) {
    switch (failure) {
        case TransportFailure::none:
            return "none";
        case TransportFailure::connection_refused:
            return "connection-refused";
        case TransportFailure::timed_out:
            return "timed-out";
        case TransportFailure::body_too_large:
            return "body-too-large";
        case TransportFailure::other:
            return "other";
    }
    return "other";
}

std::string describe_exchange(const ProbeExchange& exchange) {
    if (exchange.failure != TransportFailure::none) {
        return fmt::format("{} after {} ms", transport_name(exchange.failure),
                           exchange.took.count());
    }
    return fmt::format("{} in {} ms", exchange.status, exchange.took.count());
}

std::string when(std::optional<TimePoint> expires, TimePoint now) {
    if (!expires) {
        return "unknown";
    }
    const auto left = *expires - now;
    return left > Seconds(0)
               ? fmt::format("{} (in {})", format_rfc3339(*expires), format_duration(left))
               : fmt::format("{} (expired {} ago)", format_rfc3339(*expires),
                             format_duration(-left));
}

std::string where(const SourceUse& source) {
    if (source.section.empty()) {
        return source.location;
    }
    return fmt::format("{} [{}]", source.location, source.section);
}

void text_verdict(std::string& out, const ToolVerdict& verdict, TimePoint now) {
    const std::string profile =
        verdict.profile.empty() ? "" : fmt::format(" (profile {})", verdict.profile);
    out += fmt::format("{}{}: {}\n", tool_name(verdict.tool), profile, verdict_status(verdict));
    if (verdict.failure) {
        out += fmt::format("  fails     {}\n", *verdict.failure);
    }
    if (const auto& source = verdict.source) {
        const std::string place = where(*source);
        out +=
            fmt::format("  uses      {}{}{}\n", source->method, place.empty() ? "" : "  ", place);
        out += fmt::format(
            "  key id    {}{}\n",
            source->access_key_id.empty() ? "unknown" : redact_key_id(source->access_key_id),
            source->has_session_token ? " (with session token)" : "");
        out += fmt::format("  expires   {}\n", when(source->expires, now));
        out += fmt::format("  refreshes {}{}{}\n", source->refreshes ? "yes" : "no",
                           source->refresh_note.empty() ? "" : ": ", source->refresh_note);
    }
    const char* label = "  skipped   ";
    for (const auto& skipped : verdict.skipped) {
        out += fmt::format("{}{}: {}\n", label, skipped.method, skipped.reason);
        label = "            ";
    }
    out += '\n';
}

void text_probe(std::string& out, const MachineView& view) {
    if (!view.imds) {
        out += fmt::format("imds: not probed: {}\n\n", view.imds_not_probed_reason);
        return;
    }
    const ImdsProbe& probe = *view.imds;
    out += fmt::format("imds: {}\n", probe.endpoint);
    out += fmt::format("  token PUT       {}\n", describe_exchange(probe.token));
    if (probe.v1) {
        out += fmt::format("  v1 GET          {}\n", describe_exchange(*probe.v1));
    }
    out += fmt::format("  role            {}\n", probe.role.value_or("none"));
    if (probe.clock_skew) {
        out +=
            fmt::format("  clock skew      {}s (server minus local)\n", probe.clock_skew->count());
    }
    out += '\n';
}

Json optional_text(const std::optional<std::string>& text) {
    return text ? Json(*text) : Json(nullptr);
}

Json optional_time(std::optional<TimePoint> when) {
    return when ? Json(format_rfc3339(*when)) : Json(nullptr);
}

Json exchange_json(const ProbeExchange& exchange) {
    return Json{
        {"status",
         exchange.failure == TransportFailure::none ? Json(exchange.status) : Json(nullptr)},
        {"failure", exchange.failure == TransportFailure::none
                        ? Json(nullptr)
                        : Json(transport_name(exchange.failure))},
        {"ms", exchange.took.count()},
    };
}

Json probe_json(const MachineView& view) {
    if (!view.imds) {
        return Json{{"ran", false}, {"reason", view.imds_not_probed_reason}};
    }
    const ImdsProbe& probe = *view.imds;
    return Json{
        {"ran", true},
        {"endpoint", probe.endpoint},
        {"token", exchange_json(probe.token)},
        {"v1", probe.v1 ? exchange_json(*probe.v1) : Json(nullptr)},
        {"role", optional_text(probe.role)},
        {"credentials_v2", probe.credentials_v2.has_value()},
        {"v2_problem", optional_text(probe.v2_problem)},
        {"credentials_v1", probe.credentials_v1.has_value()},
        {"v1_problem", optional_text(probe.v1_problem)},
        {"clock_skew_seconds", probe.clock_skew ? Json(probe.clock_skew->count()) : Json(nullptr)},
    };
}

Json source_json(const SourceUse& source) {
    return Json{
        {"method", source.method},
        {"location", source.location},
        {"section", source.section.empty() ? Json(nullptr) : Json(source.section)},
        {"key_id",
         source.access_key_id.empty() ? Json(nullptr) : Json(redact_key_id(source.access_key_id))},
        {"session_token", source.has_session_token},
        {"expires", optional_time(source.expires)},
        {"refreshes", source.refreshes},
        {"refresh_note", source.refresh_note},
    };
}

Json verdict_json(const ToolVerdict& verdict) {
    Json skipped = Json::array();
    for (const auto& entry : verdict.skipped) {
        skipped.push_back(Json{{"method", entry.method}, {"reason", entry.reason}});
    }
    return Json{
        {"tool", tool_name(verdict.tool)},
        {"profile", verdict.profile},
        {"status", verdict_status(verdict)},
        {"source", verdict.source ? source_json(*verdict.source) : Json(nullptr)},
        {"skipped", std::move(skipped)},
        {"failure", optional_text(verdict.failure)},
    };
}

}  // namespace

int Diagnosis::exit_code() const {
    int code = 0;
    for (const auto& hazard : hazards) {
        code = std::max(code, hazard.severity == Severity::error     ? 2
                              : hazard.severity == Severity::warning ? 1
                                                                     : 0);
    }
    return code;
}

std::string_view verdict_status(const ToolVerdict& verdict) {
    if (verdict.failure) {
        return "fails";
    }
    if (!verdict.source) {
        return "no-credentials";
    }
    // A source whose key is known only once the tool calls out (IMDS not probed, STS, SSO,
    // a container endpoint): it will probably work, but nothing here has seen the keys.
    const bool unseen =
        verdict.source->access_key_id.empty() && verdict.source->method != "anonymous";
    return unseen ? "unverified" : "ok";
}

Diagnosis diagnose(const MachineView& view, const std::vector<Tool>& tools) {
    Diagnosis diagnosis;
    for (const Tool tool : tools) {
        switch (tool) {
            case Tool::boto3:
            case Tool::awscli:
                diagnosis.verdicts.push_back(model_botocore(view, tool));
                break;
            case Tool::htslib:
                diagnosis.verdicts.push_back(model_htslib(view));
                break;
            case Tool::s3cmd:
                diagnosis.verdicts.push_back(model_s3cmd(view));
                break;
        }
    }
    diagnosis.hazards = find_hazards(view, diagnosis.verdicts);
    return diagnosis;
}

std::string render_text(const Diagnosis& diagnosis, const MachineView& view) {
    std::string out;
    for (const auto& verdict : diagnosis.verdicts) {
        text_verdict(out, verdict, view.now);
    }
    text_probe(out, view);
    if (diagnosis.hazards.empty()) {
        out += "hazards: none found\n";
        return out;
    }
    out += "hazards:\n";
    for (const auto& hazard : diagnosis.hazards) {
        out += fmt::format("  {:<8} {} ({}): {}\n", severity_name(hazard.severity), hazard.code,
                           hazard.tool, hazard.finding);
    }
    out += "\nfixes:\n";
    std::vector<std::string> said;  // one line per distinct fix
    for (const auto& hazard : diagnosis.hazards) {
        std::string line = fmt::format("  {}: {}\n", hazard.code, hazard.fix);
        if (std::ranges::find(said, line) == said.end()) {
            out += line;
            said.push_back(std::move(line));
        }
    }
    return out;
}

std::string render_json(const Diagnosis& diagnosis, const MachineView& view) {
    Json tools = Json::array();
    for (const auto& verdict : diagnosis.verdicts) {
        tools.push_back(verdict_json(verdict));
    }
    Json hazards = Json::array();
    for (const auto& hazard : diagnosis.hazards) {
        hazards.push_back(Json{{"code", hazard.code},
                               {"severity", severity_name(hazard.severity)},
                               {"tool", hazard.tool},
                               {"finding", hazard.finding},
                               {"fix", hazard.fix}});
    }
    const Json document{
        {"version", 1},
        {"checked_at", format_rfc3339(view.now)},
        {"profile", optional_text(view.profile)},
        {"url", optional_text(view.url)},
        {"probe", probe_json(view)},
        {"tools", std::move(tools)},
        {"hazards", std::move(hazards)},
        {"exit", diagnosis.exit_code()},
    };
    return document.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace credkit
