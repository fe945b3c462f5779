#include "lib/net/http_download.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace attn::net {
namespace {

std::string TempDir() { return std::getenv("TEST_TMPDIR"); }

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteBytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

// 200 kB of bytes that differ from position to position, so a misplaced byte shows.
std::string Payload() {
  std::string data(200000, '\0');
  uint32_t x = 12345;
  for (char& c : data) {
    x = x * 1103515245u + 12345u;
    c = static_cast<char>(x >> 23);
  }
  return data;
}

// lib/net/http_test_server.py on an ephemeral port of 127.0.0.1, for the whole suite.
class DownloadTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = TempDir() + "/www";
    mkdir(root_.c_str(), 0755);
    WriteBytes(root_ + "/payload.bin", Payload());
    const std::string port_file = TempDir() + "/port";
    log_ = TempDir() + "/requests.log";
    const std::string script = "lib/net/http_test_server.py";
    const std::vector<std::string> args = {"python3", script, "--root=" + root_,
                                           "--port_file=" + port_file, "--log=" + log_,
                                           "--lifetime_s=300"};
    server_ = fork();
    if (server_ == 0) {
      std::vector<char*> argv;
      for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      execvp("python3", argv.data());
      _exit(127);
    }
    // Wait for the port file (written once the server listens), not for a fixed time.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!Exists(port_file)) {
      int status;
      ASSERT_EQ(waitpid(server_, &status, WNOHANG), 0) << "the test server exited";
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the test server did not start";
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    base_url_ = "http://127.0.0.1:" + ReadBytes(port_file);
  }

  static void TearDownTestSuite() {
    kill(server_, SIGTERM);
    waitpid(server_, nullptr, 0);
  }

  // The Range header ("-" for none) of each request the server logged for `path`.
  static std::vector<std::string> RangesRequested(const std::string& path) {
    std::vector<std::string> ranges;
    std::istringstream log(ReadBytes(log_));
    std::string method, logged_path, range;
    while (log >> method >> logged_path >> range) {
      if (logged_path == path) ranges.push_back(range);
    }
    return ranges;
  }

  static DownloadOptions Fast() {
    DownloadOptions options;
    options.timeout_s = 10;
    options.retries = 0;
    options.retry_delay_s = 0;
    return options;
  }

  static std::string Part(const std::string& name) { return TempDir() + "/" + name + ".part"; }

  static inline std::string root_, log_, base_url_;
  static inline pid_t server_ = -1;
};

TEST_F(DownloadTest, DownloadsTheWholeFile) {
  const std::string part = Part("whole");
  ASSERT_TRUE(DownloadFile(base_url_ + "/files/payload.bin", part, Fast()).ok());
  EXPECT_TRUE(ReadBytes(part) == Payload());
  EXPECT_EQ(RangesRequested("/files/payload.bin"), std::vector<std::string>{"-"});
}

TEST_F(DownloadTest, ResumesAnEarlierPartWithARangeRequest) {
  const std::string part = Part("resume");
  WriteBytes(part, Payload().substr(0, 1000));
  ASSERT_TRUE(DownloadFile(base_url_ + "/files/payload.bin?resume", part, Fast()).ok());
  EXPECT_TRUE(ReadBytes(part) == Payload());
  EXPECT_EQ(RangesRequested("/files/payload.bin?resume"), std::vector<std::string>{"bytes=1000-"});
}

TEST_F(DownloadTest, RetryResumesATransferCutMidway) {
  DownloadOptions options = Fast();
  options.retries = 1;
  const std::string part = Part("cut");
  ASSERT_TRUE(DownloadFile(base_url_ + "/cut/payload.bin", part, options).ok());
  EXPECT_TRUE(ReadBytes(part) == Payload());
  // The server sent half of the body before cutting: the retry asks for the rest.
  EXPECT_EQ(RangesRequested("/cut/payload.bin"),
            (std::vector<std::string>{"-", "bytes=100000-"}));
}

TEST_F(DownloadTest, CutTransferWithoutRetriesKeepsWhatArrived) {
  const std::string part = Part("cut_once");
  const absl::Status status = DownloadFile(base_url_ + "/cut/payload.bin?once", part, Fast());
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_TRUE(IsTransientDownloadError(status));
  EXPECT_TRUE(ReadBytes(part) == Payload().substr(0, 100000));
}

TEST_F(DownloadTest, ServerIgnoringRangeGetsTheFileRewrittenFromTheStart) {
  const std::string part = Part("norange");
  WriteBytes(part, std::string(5000, 'x'));
  ASSERT_TRUE(DownloadFile(base_url_ + "/norange/payload.bin", part, Fast()).ok());
  EXPECT_TRUE(ReadBytes(part) == Payload());
  EXPECT_EQ(RangesRequested("/norange/payload.bin"), std::vector<std::string>{"bytes=5000-"});
}

TEST_F(DownloadTest, UnsatisfiableRangeStartsOverOnce) {
  const std::string part = Part("toolong");
  WriteBytes(part, Payload() + "extra");
  ASSERT_TRUE(DownloadFile(base_url_ + "/files/payload.bin?416", part, Fast()).ok());
  EXPECT_TRUE(ReadBytes(part) == Payload());
  EXPECT_EQ(RangesRequested("/files/payload.bin?416"),
            (std::vector<std::string>{"bytes=200005-", "-"}));
}

TEST_F(DownloadTest, NotFoundIsNotRetriedAndWritesNothing) {
  DownloadOptions options = Fast();
  options.retries = 3;
  const std::string part = Part("404");
  const absl::Status status = DownloadFile(base_url_ + "/status/404", part, options);
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound) << status;
  EXPECT_FALSE(IsTransientDownloadError(status));
  EXPECT_NE(status.message().find("HTTP 404"), std::string::npos) << status;
  EXPECT_NE(status.message().find(base_url_ + "/status/404"), std::string::npos) << status;
  EXPECT_EQ(RangesRequested("/status/404").size(), 1u);
  EXPECT_FALSE(Exists(part));
}

TEST_F(DownloadTest, ServerErrorIsRetriedThenFails) {
  DownloadOptions options = Fast();
  options.retries = 2;
  const std::string part = Part("500");
  const absl::Status status = DownloadFile(base_url_ + "/status/500", part, options);
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_NE(status.message().find("HTTP 500"), std::string::npos) << status;
  EXPECT_NE(status.message().find("after 3 attempts"), std::string::npos) << status;
  EXPECT_EQ(RangesRequested("/status/500").size(), 3u);
  EXPECT_FALSE(Exists(part));
}

TEST_F(DownloadTest, ConnectionRefusedIsTransient) {
  // A port that was just free: bind it, note it, close it.
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  const std::string url = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/x.zip";
  const absl::Status status = DownloadFile(url, Part("refused"), Fast());
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_NE(status.message().find(url), std::string::npos) << status;
  EXPECT_FALSE(Exists(Part("refused")));
}

TEST_F(DownloadTest, StalledTransferTimesOutAndKeepsWhatArrived) {
  DownloadOptions options = Fast();
  options.timeout_s = 1;
  const std::string part = Part("stall");
  const absl::Status status = DownloadFile(base_url_ + "/stall/payload.bin", part, options);
  EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded) << status;
  EXPECT_TRUE(ReadBytes(part) == Payload().substr(0, 100));
}

TEST_F(DownloadTest, MalformedUrlIsInvalidArgument) {
  EXPECT_EQ(DownloadFile("nonsense://x/y", Part("bad"), Fast()).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(DownloadTest, UnwritablePartIsAnErrorNamingIt) {
  const std::string part = TempDir() + "/no/such/dir/x.part";
  const absl::Status status = DownloadFile(base_url_ + "/files/payload.bin?w", part, Fast());
  EXPECT_FALSE(status.ok());
  EXPECT_FALSE(IsTransientDownloadError(status));
  EXPECT_NE(status.message().find(part), std::string::npos) << status;
}

TEST(RetryDelay, DoublesFromTheFirstDelayUpToAMinute) {
  DownloadOptions options;
  options.retry_delay_s = 1.5;
  EXPECT_DOUBLE_EQ(RetryDelay(options, 0), 1.5);
  EXPECT_DOUBLE_EQ(RetryDelay(options, 1), 3);
  EXPECT_DOUBLE_EQ(RetryDelay(options, 3), 12);
  EXPECT_DOUBLE_EQ(RetryDelay(options, 5), 48);
  EXPECT_DOUBLE_EQ(RetryDelay(options, 6), 60);
  EXPECT_DOUBLE_EQ(RetryDelay(options, 40), 60);
}

}  // namespace
}  // namespace attn::net
