#include "credkit/diagnosis.hpp"

#include <doctest/doctest.h>

namespace credkit {
namespace {

// Counts the reads that reach it.
class CountingFileView final : public FileView {
public:
    explicit CountingFileView(const FileView& inner) : inner_(inner) {}
    [[nodiscard]] std::optional<FileInfo> read(const std::filesystem::path& path) const override {
        ++reads;
        return inner_.read(path);
    }
    mutable int reads = 0;

private:
    const FileView& inner_;
};

TEST_CASE("a caching file view reads each path once, missing files included") {
    MapFileView files;
    files.add("/h/.aws/credentials", "[default]\n");
    const CountingFileView counting(files);
    const CachingFileView cached(counting);

    const auto first = cached.read("/h/.aws/credentials");
    const auto again = cached.read("/h/.aws/credentials");
    const auto missing = cached.read("/h/.s3cfg");
    const auto missing_again = cached.read("/h/.s3cfg");

    REQUIRE(again);
    CHECK(again->text == "[default]\n");
    CHECK(first->text == again->text);
    CHECK_FALSE(missing);
    CHECK_FALSE(missing_again);
    CHECK(counting.reads == 2);
}

TEST_CASE("an instance is recognised by its DMI vendor, its asset tag or its Xen uuid") {
    MapFileView vendor;
    vendor.add("/sys/devices/virtual/dmi/id/sys_vendor", "Amazon EC2\n");
    MapFileView tag;
    tag.add("/sys/devices/virtual/dmi/id/board_asset_tag", "i-0123456789abcdef0\n");
    MapFileView xen;
    xen.add("/sys/hypervisor/uuid", "ec2e1916-9099-7caf-fd21-012345abcdef\n");
    MapFileView laptop;
    laptop.add("/sys/devices/virtual/dmi/id/sys_vendor", "LENOVO\n");

    CHECK(looks_like_ec2(vendor));
    CHECK(looks_like_ec2(tag));
    CHECK(looks_like_ec2(xen));
    CHECK_FALSE(looks_like_ec2(laptop));
    CHECK_FALSE(looks_like_ec2(MapFileView{}));
}

}  // namespace
}  // namespace credkit
