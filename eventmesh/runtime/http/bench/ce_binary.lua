-- wrk script: CloudEvents HTTP binding, binary mode, 256-byte text payload.
-- wrk -t2 -c64 -d10s -s ce_binary.lua http://127.0.0.1:10105/eventmesh/publish/bench
wrk.method = "POST"
wrk.headers["ce-specversion"] = "1.0"
wrk.headers["ce-id"] = "bench-1"
wrk.headers["ce-source"] = "/wrk"
wrk.headers["ce-type"] = "bench"
wrk.headers["Content-Type"] = "text/plain"
wrk.body = string.rep("x", 256)
