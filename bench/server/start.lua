-- start.lua: every request starts an instance of the process named by PROCESS.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = os.getenv("AUTH")
wrk.body = "{}"
wrk.path = "/engine-rest/process-definition/key/" .. (os.getenv("PROCESS") or "external") .. "/start"
