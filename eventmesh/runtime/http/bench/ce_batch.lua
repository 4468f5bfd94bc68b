-- wrk script: CloudEvents HTTP binding, batch mode: 10 events of 256 bytes per request.
-- wrk -t2 -c64 -d10s -s ce_batch.lua http://127.0.0.1:10105/eventmesh/publish/bench
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/cloudevents-batch+json"
local events = {}
for i = 1, 10 do
  events[i] = string.format(
    '{"specversion":"1.0","id":"bench-%d","source":"/wrk","type":"bench",' ..
    '"datacontenttype":"text/plain","data":"%s"}', i, string.rep("x", 256))
end
wrk.body = "[" .. table.concat(events, ",") .. "]"
