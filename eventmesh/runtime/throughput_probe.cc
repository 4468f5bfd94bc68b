// End-to-end throughput probe: an in-process runtime (embedded store), one pipelining publisher
// and one acknowledging subscriber over loopback TCP. Prints events/s delivered.
//   bazel run -c opt //eventmesh/runtime:throughput_probe -- [events] [syncMode] [payload bytes]
// A development aid until the load tool exists; not a test.

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "boost/asio.hpp"
#include "eventmesh/connectors/builtin.h"
#include "eventmesh/protocol/tcp/event_mesh_message.h"
#include "eventmesh/protocol/tcp/package_codec.h"
#include "eventmesh/protocol/tcp/package_decoder.h"
#include "eventmesh/protocol/tcp/subscription.h"
#include "eventmesh/protocol/tcp/user_agent.h"
#include "eventmesh/runtime/server.h"

namespace {

using boost::asio::ip::tcp;
using eventmesh::protocol::tcp::Command;
using eventmesh::protocol::tcp::LengthConvention;
using eventmesh::protocol::tcp::Package;

void Append(const Package& p, std::string* out) {
  (void)eventmesh::protocol::tcp::EncodePackage(p, LengthConvention::kCurrent, out);
}

Package Hello(const std::string& purpose) {
  eventmesh::protocol::tcp::UserAgent agent;
  agent.version = "2.0";
  agent.group = purpose == "sub" ? "probe-sub" : "probe-pub";
  agent.purpose = purpose;
  Package p;
  p.header.cmd = Command::kHelloRequest;
  p.header.seq = "1";
  p.body = agent.ToJson();
  return p;
}

}  // namespace

int main(int argc, char** argv) {
  const int64_t events = argc > 1 ? std::atoll(argv[1]) : 200000;
  const std::string sync = argc > 2 ? argv[2] : "none";
  const int size = argc > 3 ? std::atoi(argv[3]) : 256;
  const std::string dir = absl::StrCat("/tmp/eventmesh-probe-", getpid());
  auto config = eventmesh::runtime::BuildConfig({
      {"eventMesh.server.tcp.port", "0"},
      {"eventMesh.server.dataDir", dir},
      {"eventMesh.storage.embedded.syncMode", sync},
      {"eventMesh.server.session.upstreamBufferSize", "20000"},
      {"eventMesh.server.tcp.sessionWindowSize", "20000"},
      {"eventMesh.server.delivery.maxUnackedPerGroup", "40000"},
  });
  if (!config.ok()) return 1;
  eventmesh::connectors::ConnectorRegistry registry;
  (void)eventmesh::connectors::RegisterBuiltinConnectors(&registry);
  auto server = eventmesh::runtime::Server::Create(*config, registry);
  if (!server.ok() || !(*server)->Start().ok()) return 1;
  const int port = (*server)->tcp_port();

  boost::asio::io_context io;
  tcp::socket sub(io), pub(io);
  tcp::endpoint ep(boost::asio::ip::address_v4::loopback(), port);
  sub.connect(ep);
  pub.connect(ep);
  sub.set_option(tcp::no_delay(true));
  pub.set_option(tcp::no_delay(true));

  std::string setup;
  Append(Hello("sub"), &setup);
  eventmesh::protocol::tcp::Subscription subscription;
  subscription.topic_list.push_back({"probe",
                                     eventmesh::protocol::tcp::SubscriptionMode::kClustering,
                                     eventmesh::protocol::tcp::SubscriptionType::kAsync});
  Package s;
  s.header.cmd = Command::kSubscribeRequest;
  s.header.seq = "2";
  s.body = subscription.ToJson();
  Append(s, &setup);
  Package l;
  l.header.cmd = Command::kListenRequest;
  l.header.seq = "3";
  Append(l, &setup);
  boost::asio::write(sub, boost::asio::buffer(setup));
  std::string hello;
  Append(Hello("pub"), &hello);
  boost::asio::write(pub, boost::asio::buffer(hello));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));

  std::atomic<int64_t> delivered{0}, acked{0};
  std::thread sub_reader([&] {
    eventmesh::protocol::tcp::PackageDecoder decoder;
    std::string acks;
    boost::system::error_code ec;
    while (delivered < events) {
      char* buf = decoder.PrepareAppend(256 * 1024);
      size_t n = sub.read_some(boost::asio::buffer(buf, 256 * 1024), ec);
      decoder.CommitAppend(ec ? 0 : n);
      if (ec) break;
      acks.clear();
      for (;;) {
        auto next = decoder.Next();
        if (!next.ok() || !next->has_value()) break;
        Package& p = (*next)->package;
        if (p.header.cmd != Command::kAsyncMessageToClient) continue;
        Package ack;
        ack.header.cmd = Command::kAsyncMessageToClientAck;
        ack.header.seq = std::move(p.header.seq);
        Append(ack, &acks);
        ++delivered;
      }
      if (!acks.empty()) boost::asio::write(sub, boost::asio::buffer(acks), ec);
    }
  });
  std::thread pub_reader([&] {
    eventmesh::protocol::tcp::PackageDecoder decoder;
    boost::system::error_code ec;
    while (acked < events) {
      char* buf = decoder.PrepareAppend(256 * 1024);
      size_t n = pub.read_some(boost::asio::buffer(buf, 256 * 1024), ec);
      decoder.CommitAppend(ec ? 0 : n);
      if (ec) break;
      for (;;) {
        auto next = decoder.Next();
        if (!next.ok() || !next->has_value()) break;
        if ((*next)->package.header.cmd == Command::kAsyncMessageToServerAck) {
          if ((*next)->package.header.code != 0) {
            std::fprintf(stderr, "publish failed: %s\n", (*next)->package.header.desc.c_str());
          }
          ++acked;
        }
      }
    }
  });

  eventmesh::protocol::tcp::EventMeshMessage message;
  message.topic = "probe";
  message.body = std::string(size, 'x');
  Package publish;
  publish.header.cmd = Command::kAsyncMessageToServer;
  publish.header.properties = {
      {"protocoltype", "eventmeshmessage"}, {"protocolversion", "1.0"}, {"protocoldesc", "tcp"}};
  publish.body = message.ToJson();
  const auto start = std::chrono::steady_clock::now();
  int64_t sent = 0;
  std::string batch;
  while (sent < events) {
    while (sent - acked.load() > 10000) std::this_thread::sleep_for(std::chrono::microseconds(200));
    batch.clear();
    for (int i = 0; i < 200 && sent < events; ++i, ++sent) {
      publish.header.seq = absl::StrCat(sent + 100);
      Append(publish, &batch);
    }
    boost::asio::write(pub, boost::asio::buffer(batch));
  }
  pub_reader.join();
  const auto published = std::chrono::steady_clock::now();
  sub_reader.join();
  const auto end = std::chrono::steady_clock::now();
  const double pub_s = std::chrono::duration<double>(published - start).count();
  const double all_s = std::chrono::duration<double>(end - start).count();
  std::printf(
      "%lld events of %d bytes, sync %s: published+acked %.0f ev/s, delivered+acked %.0f ev/s\n",
      static_cast<long long>(events), size, sync.c_str(), events / pub_s, events / all_s);
  sub.close();
  pub.close();
  (*server)->Shutdown();
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return 0;
}
