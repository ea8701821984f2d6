#include "credkit/diagnosis.hpp"

#include <fstream>
#include <sstream>

#include <sys/stat.h>

namespace credkit {

std::string_view tool_name(Tool tool) {
    switch (tool) {
        case Tool::boto3:
            return "boto3";
        case Tool::awscli:
            return "awscli";
        case Tool::htslib:
            return "htslib";
        case Tool::s3cmd:
            return "s3cmd";
    }
    return "unknown";
}

std::optional<Tool> parse_tool(std::string_view name) {
    for (const Tool tool : {Tool::boto3, Tool::awscli, Tool::htslib, Tool::s3cmd}) {
        if (tool_name(tool) == name) {
            return tool;
        }
    }
    return std::nullopt;
}

std::string_view severity_name(Severity severity) {
    switch (severity) {
        case Severity::info:
            return "info";
        case Severity::warning:
            return "warning";
        case Severity::error:
            return "error";
    }
    return "unknown";
}

std::optional<FileInfo> SystemFileView::read(const std::filesystem::path& path) const {
    struct stat status {};
    if (::stat(path.c_str(), &status) != 0 || !S_ISREG(status.st_mode)) {
        return std::nullopt;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return std::nullopt;
    }
    std::ostringstream text;
    text << in.rdbuf();
    FileInfo info;
    info.text = std::move(text).str();
    info.permissions = static_cast<std::filesystem::perms>(status.st_mode & 07777);
    info.modified = TimePoint(std::chrono::seconds(status.st_mtim.tv_sec));
    return info;
}

bool looks_like_ec2(const FileView& files) {
    const auto starts_with = [&files](const char* path, std::string_view prefix) {
        const auto file = files.read(path);
        return file && std::string_view(file->text).starts_with(prefix);
    };
    return starts_with("/sys/devices/virtual/dmi/id/sys_vendor", "Amazon EC2") ||
           starts_with("/sys/devices/virtual/dmi/id/board_asset_tag", "i-") ||
           starts_with("/sys/hypervisor/uuid", "ec2");
}

}  // namespace credkit
