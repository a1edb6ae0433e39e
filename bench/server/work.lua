-- work.lua: workers fetch and lock one task of topic "work" and complete it, again and again.
-- A wrk thread's connections share one Lua state: the tasks one connection fetched are kept in
-- a queue that the thread's next request takes from, so every locked task is completed (by the
-- same worker id: one per thread). Both requests count: each is a durable write.
local counter = 0
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end
function init(args)
  worker = "w" .. id .. "-" .. math.random(1, 1e9)
  pending = {}
  completed = 0
end
function request()
  local auth = os.getenv("AUTH")
  local id = table.remove(pending)
  if id then
    local path = "/engine-rest/external-task/" .. id .. "/complete"
    return wrk.format("POST", path, {["Content-Type"] = "application/json", ["Authorization"] = auth},
      '{"workerId":"' .. worker .. '"}')
  end
  return wrk.format("POST", "/engine-rest/external-task/fetchAndLock",
    {["Content-Type"] = "application/json", ["Authorization"] = auth},
    '{"workerId":"' .. worker .. '","maxTasks":1,"topics":[{"topicName":"work","lockDuration":60000}]}')
end
function response(status, headers, body)
  local id = body and string.match(body, '"id":"(%d+)"')
  if status == 200 and id then table.insert(pending, id) end
  if status == 204 then completed = completed + 1 end
end
function done(summary, latency, requests)
  io.write(string.format("requests %d, errors %d\n", summary.requests,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
