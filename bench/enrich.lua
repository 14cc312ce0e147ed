-- A Lua filter doing what the enrich plugin does, the way a Fluent Bit user would write it:
-- find the message ID in the line with Lua patterns, look it up in a table, add the catalog
-- fields. The end-to-end benchmark (scripts/bench-e2e.sh) measures it against the plugin.
--
--   [FILTER]
--       Name         lua
--       Match        net.*
--       Script       bench/enrich.lua
--       Call         enrich
--       Type_Int_Key severity documented_severity
--
-- The table comes from the catalog:
--   go run ./cmd/flb-enrich catalog --format json | go run ./bench/luacatalog > catalog.lua
-- and its path from the ENRICH_LUA_CATALOG environment variable.

local catalog = dofile(os.getenv("ENRICH_LUA_CATALOG") or "catalog.lua")

local ftd = catalog["cisco_ftd_asa"] or {}
local ios = catalog["cisco_ios"] or {}
local cucm = catalog["cisco_cucm"] or {}
local ibm = catalog["ibm_storage_virtualize"] or {}

local severity_names = {
    [0] = "emergency", "alert", "critical", "error", "warning", "notice", "informational", "debug",
}

local message_keys = { "log", "message", "msg" }

local function add(record, product, id, severity, entry)
    record["message_id"] = id
    record["product"] = product
    if entry ~= nil then
        if severity == nil then
            severity = entry.s
        elseif entry.s ~= nil and entry.s ~= severity then
            record["documented_severity"] = entry.s
        end
        record["explanation"] = entry.e
        record["action"] = entry.a
    end
    if severity ~= nil then
        record["severity"] = severity
        record["severity_name"] = severity_names[severity]
    end
end

-- recognise adds the fields for the first ID found in text and reports whether it found one.
local function recognise(record, text)
    -- Threat Defense / ASA: %ASA-6-722051, %FTD-session-6-302013, %FTD--6-852002
    local sev, id = string.match(text, "%%%u+%-%l*%-?(%d)%-(%d%d%d%d%d%d)")
    if id ~= nil then
        add(record, "cisco_ftd_asa", id, tonumber(sev), ftd[id])
        return true
    end
    -- IOS family and Unified CM CiscoLog: %SMART_LIC-3-COMM_FAILED, %LICENSE-SMART_LIC-3-...
    local fac, sevc, mnemonic = string.match(text, "%%([%w_%-]+)%-([%d%u])%-([%w_]+)")
    if fac ~= nil then
        local s = tonumber(sevc)
        local short = string.match(fac, "([%w_]+)$")
        local key = string.upper(short) .. "-" .. mnemonic
        local entry = ios[key]
        if entry == nil then
            entry = ios[string.upper(fac) .. "-" .. mnemonic]
        end
        local full = fac .. "-" .. sevc .. "-" .. mnemonic
        if entry ~= nil then
            add(record, "cisco_ios", full, s, entry)
        elseif cucm[mnemonic] ~= nil then
            add(record, "cisco_cucm", mnemonic, s, cucm[mnemonic])
        else
            add(record, "cisco_ios", full, s, nil)
        end
        return true
    end
    -- Unified CM RTMT alerts: AlertName=ILSPwdAuthenticationFailed
    local alert = string.match(text, "AlertName=(%w+)")
    if alert ~= nil and cucm[alert] ~= nil then
        add(record, "cisco_cucm", alert, nil, cucm[alert])
        return true
    end
    -- IBM Storage Virtualize: Error ID = 086008, Event ID: 086008, #ErrorID=086008
    local ev = string.match(text, "[Ee]rror ?I[Dd]%s*[=:]%s*(%d%d%d%d%d%d)")
        or string.match(text, "[Ee]vent ?I[Dd]%s*[=:]?%s*(%d%d%d%d%d%d)")
    if ev ~= nil then
        add(record, "ibm_storage_virtualize", ev, nil, ibm[ev])
        return true
    end
    return false
end

function enrich(tag, timestamp, record)
    for _, k in ipairs(message_keys) do
        local text = record[k]
        if type(text) == "string" and recognise(record, text) then
            return 2, timestamp, record
        end
    end
    return 0, timestamp, record
end
