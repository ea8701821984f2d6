#include <atomic>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "credkit/http_client.hpp"

namespace credkit {
namespace {

using namespace std::chrono_literals;

// A real HTTP server on a free loopback port, serving the routes the test gives it, for as
// long as the object lives.
class LocalServer {
public:
    explicit LocalServer(const std::function<void(httplib::Server&)>& routes) {
        routes(server_);
        port_ = server_.bind_to_any_port("127.0.0.1");
        REQUIRE(port_ > 0);
        thread_ = std::thread([this] { server_.listen_after_bind(); });
        // stop() is a no-op until the accept loop runs, so wait for it.
        while (!server_.is_running()) {
            std::this_thread::sleep_for(1ms);
        }
    }
    LocalServer(const LocalServer&) = delete;
    LocalServer& operator=(const LocalServer&) = delete;

    ~LocalServer() {
        server_.stop();
        thread_.join();
    }

    [[nodiscard]] int port() const { return port_; }
    [[nodiscard]] std::string url(const std::string& path) const {
        return "http://127.0.0.1:" + std::to_string(port_) + path;
    }

private:
    httplib::Server server_;
    int port_ = -1;
    std::thread thread_;
};

// A loopback port that nothing listens on: bound once to learn a free number, then released.
int closed_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    ::close(fd);
    return ntohs(address.sin_port);
}

// Sets environment variables for one test and puts the old values back afterwards.
class ScopedEnvironment {
public:
    ScopedEnvironment() = default;
    ScopedEnvironment(const ScopedEnvironment&) = delete;
    ScopedEnvironment& operator=(const ScopedEnvironment&) = delete;

    ~ScopedEnvironment() {
        for (const auto& [name, value] : saved_) {
            if (value) {
                ::setenv(name.c_str(), value->c_str(), 1);
            } else {
                ::unsetenv(name.c_str());
            }
        }
    }

    void set(const std::string& name, const std::string& value) {
        remember(name);
        ::setenv(name.c_str(), value.c_str(), 1);
    }

    void unset(const std::string& name) {
        remember(name);
        ::unsetenv(name.c_str());
    }

private:
    void remember(const std::string& name) {
        const char* value = std::getenv(name.c_str());
        saved_.emplace_back(name, value ? std::optional<std::string>(value) : std::nullopt);
    }

    std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

HttpRequest get(const std::string& url) {
    HttpRequest request;
    request.url = url;
    return request;
}

}  // namespace

TEST_CASE("a GET returns the status, body and lowercased response headers") {
    LocalServer server([](httplib::Server& s) {
        s.Get("/latest/meta-data/instance-id", [](const httplib::Request&, httplib::Response& r) {
            r.status = 200;
            r.set_header("X-Custom-Header", "Some Value");
            r.set_content("i-0123456789abcdef0", "text/plain");
        });
    });
    CurlHttpClient client;

    const HttpResult result = client.send(get(server.url("/latest/meta-data/instance-id")));

    REQUIRE(result.ok());
    CHECK(result.response.status == 200);
    CHECK(result.response.body == "i-0123456789abcdef0");
    CHECK(result.response.headers.at("x-custom-header") == "Some Value");
    CHECK(result.response.headers.at("content-type") == "text/plain");
}

TEST_CASE("an HTTP error status is a response, not a transport failure") {
    LocalServer server([](httplib::Server& s) {
        s.Get("/missing", [](const httplib::Request&, httplib::Response& r) {
            r.status = 404;
            r.set_content("not found", "text/plain");
        });
    });
    CurlHttpClient client;

    const HttpResult result = client.send(get(server.url("/missing")));

    REQUIRE(result.ok());
    CHECK(result.response.status == 404);
    CHECK(result.response.body == "not found");
}

TEST_CASE("a PUT with an empty body arrives as a PUT with Content-Length 0 and its headers") {
    std::string method;
    std::string content_length;
    std::string ttl;
    LocalServer server([&](httplib::Server& s) {
        s.Put("/latest/api/token", [&](const httplib::Request& q, httplib::Response& r) {
            method = q.method;
            content_length = q.get_header_value("Content-Length");
            ttl = q.get_header_value("X-aws-ec2-metadata-token-ttl-seconds");
            r.set_content("a-token", "text/plain");
        });
    });
    CurlHttpClient client;
    HttpRequest request;
    request.method = "PUT";
    request.url = server.url("/latest/api/token");
    request.headers = {{"X-aws-ec2-metadata-token-ttl-seconds", "21600"}};

    const auto started = std::chrono::steady_clock::now();
    const HttpResult result = client.send(request);

    REQUIRE(result.ok());
    CHECK(result.response.status == 200);
    CHECK(result.response.body == "a-token");
    CHECK(method == "PUT");
    CHECK(content_length == "0");
    CHECK(ttl == "21600");
    CHECK(std::chrono::steady_clock::now() - started < 500ms);  // nobody waited for a body
}

TEST_CASE("a HEAD request and another method reach the server as themselves") {
    std::vector<std::string> methods;
    LocalServer server([&](httplib::Server& s) {
        const auto record = [&](const httplib::Request& q, httplib::Response&) {
            methods.push_back(q.method);
        };
        s.Get("/thing", record);  // httplib answers HEAD through the GET route
        s.Delete("/thing", record);
    });
    CurlHttpClient client;
    HttpRequest head = get(server.url("/thing"));
    head.method = "HEAD";
    HttpRequest remove = get(server.url("/thing"));
    remove.method = "DELETE";

    const HttpResult head_result = client.send(head);
    const HttpResult delete_result = client.send(remove);

    CHECK(head_result.ok());
    CHECK(delete_result.ok());
    CHECK(methods == std::vector<std::string>{"HEAD", "DELETE"});
}

TEST_CASE("a redirect is returned as it is, not followed") {
    bool followed = false;
    LocalServer server([&](httplib::Server& s) {
        s.Get("/from",
              [](const httplib::Request&, httplib::Response& r) { r.set_redirect("/to", 302); });
        s.Get("/to", [&](const httplib::Request&, httplib::Response&) { followed = true; });
    });
    CurlHttpClient client;

    const HttpResult result = client.send(get(server.url("/from")));

    REQUIRE(result.ok());
    CHECK(result.response.status == 302);
    CHECK(result.response.headers.at("location") == "/to");
    CHECK_FALSE(followed);
}

TEST_CASE("a server slower than the timeout gives timed_out, then the client still works") {
    std::atomic<bool> release{false};
    LocalServer server([&](httplib::Server& s) {
        s.Get("/slow", [&](const httplib::Request&, httplib::Response& r) {
            for (int i = 0; i < 500 && !release; ++i) {
                std::this_thread::sleep_for(10ms);
            }
            r.set_content("late", "text/plain");
        });
        s.Get("/fast", [](const httplib::Request&, httplib::Response& r) {
            r.set_content("quick", "text/plain");
        });
    });
    CurlHttpClient client;
    HttpRequest slow = get(server.url("/slow"));
    slow.timeout = 200ms;

    const auto started = std::chrono::steady_clock::now();
    const HttpResult result = client.send(slow);
    const auto elapsed = std::chrono::steady_clock::now() - started;
    release = true;
    const HttpResult after = client.send(get(server.url("/fast")));

    CHECK(result.failure == TransportFailure::timed_out);
    CHECK_FALSE(result.detail.empty());
    CHECK(elapsed >= 190ms);
    CHECK(elapsed < 1s);
    REQUIRE(after.ok());
    CHECK(after.response.body == "quick");
}

TEST_CASE("a closed port gives connection_refused") {
    CurlHttpClient client;

    const HttpResult result =
        client.send(get("http://127.0.0.1:" + std::to_string(closed_port()) + "/"));

    CHECK(result.failure == TransportFailure::connection_refused);
    CHECK_FALSE(result.detail.empty());
}

TEST_CASE("a body longer than max_body gives body_too_large, with or without Content-Length") {
    const std::string big(100 * 1024, 'x');
    LocalServer server([&](httplib::Server& s) {
        s.Get("/sized", [&](const httplib::Request&, httplib::Response& r) {
            r.set_content(big, "text/plain");
        });
        s.Get("/chunked", [&](const httplib::Request&, httplib::Response& r) {
            r.set_chunked_content_provider("text/plain", [&](size_t, httplib::DataSink& sink) {
                sink.write(big.data(), big.size());
                sink.done();
                return true;
            });
        });
    });
    CurlHttpClient client;
    HttpRequest sized = get(server.url("/sized"));
    sized.max_body = 64 * 1024;
    HttpRequest chunked = get(server.url("/chunked"));
    chunked.max_body = 64 * 1024;

    const HttpResult sized_result = client.send(sized);
    const HttpResult chunked_result = client.send(chunked);

    CHECK(sized_result.failure == TransportFailure::body_too_large);
    CHECK(sized_result.response.body.empty());
    CHECK(chunked_result.failure == TransportFailure::body_too_large);
    CHECK(chunked_result.response.body.empty());
}

TEST_CASE("a body of exactly max_body is accepted whole") {
    const std::string exact(1000, 'y');
    LocalServer server([&](httplib::Server& s) {
        s.Get("/exact", [&](const httplib::Request&, httplib::Response& r) {
            r.set_content(exact, "text/plain");
        });
    });
    CurlHttpClient client;
    HttpRequest request = get(server.url("/exact"));
    request.max_body = exact.size();

    const HttpResult result = client.send(request);

    REQUIRE(result.ok());
    CHECK(result.response.body == exact);
}

TEST_CASE("proxy variables are ignored unless use_proxy is set") {
    LocalServer target([](httplib::Server& s) {
        s.Get("/role", [](const httplib::Request&, httplib::Response& r) {
            r.set_content("from the server", "text/plain");
        });
    });
    LocalServer proxy([](httplib::Server& s) {
        s.Get(".*", [](const httplib::Request&, httplib::Response& r) {
            r.set_content("from the proxy", "text/plain");
        });
    });
    ScopedEnvironment environment;
    const std::string proxy_url = "http://127.0.0.1:" + std::to_string(proxy.port());
    for (const char* name : {"http_proxy", "HTTP_PROXY", "ALL_PROXY", "all_proxy"}) {
        environment.set(name, proxy_url);
    }
    environment.unset("NO_PROXY");
    environment.unset("no_proxy");
    CurlHttpClient client;
    HttpRequest direct = get(target.url("/role"));
    HttpRequest proxied = direct;
    proxied.use_proxy = true;

    const HttpResult proxied_result = client.send(proxied);
    const HttpResult direct_result = client.send(direct);

    // The proxied request proves that the variables are seen at all.
    REQUIRE(proxied_result.ok());
    CHECK(proxied_result.response.body == "from the proxy");
    REQUIRE(direct_result.ok());
    CHECK(direct_result.response.body == "from the server");
}

}  // namespace credkit
