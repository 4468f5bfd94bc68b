-- wrk script: code-based protocol, 104 send async with a form body (256-byte content).
-- wrk -t2 -c64 -d10s -s code104_form.lua http://127.0.0.1:10105/
wrk.method = "POST"
wrk.headers["code"] = "104"
wrk.headers["idc"] = "DC1"
wrk.headers["sys"] = "5477"
wrk.headers["pid"] = "42"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.body = "topic=bench&bizseqno=1&uniqueid=1&producergroup=bench&content=" .. string.rep("x", 256)
