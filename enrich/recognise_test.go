package enrich

import (
	"fmt"
	"strings"
	"testing"

	"github.com/enrich-plugin/enrich/catalog"
)

func TestRecognise(t *testing.T) {
	e := newEngine(t, testCatalog(t), nil)
	const (
		ftd  = catalog.ProductFTD
		ios  = catalog.ProductIOS
		cucm = catalog.ProductCUCM
		ibm  = catalog.ProductIBM
	)
	tests := []struct {
		name    string
		line    string
		product catalog.Product
		id      string
		sev     int
		known   bool
	}{
		{"ftd plain", "%FTD-6-722051: Group <g> User <u> IP <1.2.3.4> IPv4 Address <10.0.0.1> IPv6 address <::> assigned to session", ftd, "722051", 6, true},
		{"asa remapped severity", "Apr 27 02:03:03 dev01: %ASA-4-722051: Group <g> User <u>", ftd, "722051", 4, true},
		{"pri only", "<166>%FTD-6-113039: Group <g> User <u> IP <1.2.3.4> AnyConnect parent session started.", ftd, "113039", 6, true},
		{"lower-case class", "Jan 22 14:05:11 PST: %ASA-svc-4-722051: Group <g>", ftd, "722051", 4, true},
		{"session class unknown id", "%FTD-session-6-302013: Built inbound TCP connection", ftd, "302013", 6, false},
		{"class with a digit", "%ASA-ipv6-6-325001: Router Advertisement", ftd, "325001", 6, false},
		{"class of 16 bytes", "%ASA-" + strings.Repeat("z", 16) + "-6-325001: x", ftd, "325001", 6, false},
		{"no colon", "%ASA-6-302016 Teardown UDP connection 40", ftd, "302016", 6, false},
		{"double dash", "<166>:Feb 26 11:26:52 UTC: %FTD--6-852002: Received", ftd, "852002", 6, false},
		{"angle garbage", "dev01: %FTD<Up>-4-313005: No matching connection", ftd, "313005", 4, false},
		{"angle tag of 23 bytes", "%FTD<" + strings.Repeat("x", 21) + ">-4-313005: No matching connection", ftd, "313005", 4, false},
		{"angle tag of 24 bytes", "%FTD<" + strings.Repeat("x", 22) + ">-4-313005: No matching connection", ftd, "313005", 4, false},
		{"missing dash", "%FTD7-737038: text", ftd, "737038", 7, false},
		{"firewall id ending the value", "%ASA-6-722051", ftd, "722051", 6, true},
		{"threat defense prefix", "%Threat Defense-4-722051: Group g", ftd, "722051", 4, true},
		{"pix", "%PIX-7-710001: TCP access requested", ftd, "710001", 7, false},
		{"fwsm", "%FWSM-6-113039: Group g", ftd, "113039", 6, true},
		{"ngips", "%NGIPS-1-430002: EventPriority: Low", ftd, "430002", 1, false},
		{"misspelt prefix", "sac-firewall : %FDT-6-716039: Group <x>", ftd, "716039", 6, false},
		{"ios known", ".Mar 24 20:17:03.508: %SMART_LIC-3-COMM_FAILED: Communications failure with the CSLU : x", ios, "SMART_LIC-3-COMM_FAILED", 3, true},
		{"ios no space after colon", "[confirm]%SMART_LIC-3-COMM_FAILED:Communications failure", ios, "SMART_LIC-3-COMM_FAILED", 3, true},
		{"ios-xr sub-facility", "%LICENSE-SMART_LIC-3-COMM_FAILED : Communications failure", ios, "LICENSE-SMART_LIC-3-COMM_FAILED", 3, true},
		{"stack member sub-facility", "%SMART_LIC-SW1-3-COMM_FAILED: x", ios, "SMART_LIC-SW1-3-COMM_FAILED", 3, true},
		{"known facility between sub-facilities", "%LICENSE-SMART_LIC-SW1-3-COMM_FAILED: x", ios, "LICENSE-SMART_LIC-SW1-3-COMM_FAILED", 3, true},
		{"ios header severity differs", "%SMART_LIC-5-COMM_FAILED: x", ios, "SMART_LIC-5-COMM_FAILED", 5, true},
		{"ios unknown", "%SYS-5-CONFIG_I: Configured from console", ios, "SYS-5-CONFIG_I", 5, false},
		{"ios header followed by a dash", "%SYS-5-CONFIG_I- Configured from console", ios, "SYS-5-CONFIG_I", 5, false},
		{"ios letter severity", "<188>%SNMP-W-SNMPAUTHFAIL: Access attempted", ios, "SNMP-W-SNMPAUTHFAIL", 4, false},
		{"ios leading digit", "<188>%2SWPORT-W-LOCKPORTACTIVE: A packet", ios, "2SWPORT-W-LOCKPORTACTIVE", 4, false},
		{"ios leading digit then letter past f", "%1GPORT-5-UP: x", ios, "1GPORT-5-UP", 5, false},
		{"header after url escape", "GET /a%20b-1-c HTTP/1.1 %SYS-5-CONFIG_I: x", ios, "SYS-5-CONFIG_I", 5, false},
		{"ios lower-case facility", "<185>%HAL_config_poe-A-POEFailDetected: POE ERROR", ios, "HAL_config_poe-A-POEFailDetected", 1, false},
		{"relay carrying a known message", "%IOSXE-6-PLATFORM: R0/0: %SMART_LIC-3-COMM_FAILED: x", ios, "SMART_LIC-3-COMM_FAILED", 3, true},
		{"two unknown ids first wins", "%LLDP-3-DETECT_MULTIPLE_PEERS: %EARL-SW2_DFC1-1-EXCESSIVE_PARITY_ERROR: x", ios, "LLDP-3-DETECT_MULTIPLE_PEERS", 3, false},
		{"cucm ciscolog", "UTC :  %UC_CALLMANAGER-3-EndPointUnregistered: %[DeviceName=SEP1]: An endpoint", cucm, "EndPointUnregistered", 3, false},
		{"cucm ciscolog known", "%UC_ILS-3-ILSPwdAuthenticationFailed: x", cucm, "ILSPwdAuthenticationFailed", 3, true},
		{"cucm legacy", "%CCM_CALLMANAGER-CALLMANAGER-3-CodeYellowEntry: CodeYellowEntry", cucm, "CodeYellowEntry", 3, false},
		{"rtmt alert known", " %UC_RTMT-2-RTMT_ALERT: % AlertName=ILSPwdAuthenticationFailed AlertDetail= x", cucm, "ILSPwdAuthenticationFailed", 2, true},
		{"rtmt alert unknown", " %UC_RTMT-2-RTMT_ALERT: % AlertName=CoreDumpFileFound AlertDetail= x", cucm, "CoreDumpFileFound", 2, false},
		{"alert name alone", "AlertName=ILSPwdAuthenticationFailed on node x", cucm, "ILSPwdAuthenticationFailed", -1, true},
		{"sdl alarm name", " 00155891.006 |17:25:26.197 |AppInfo  |IlsD wait_SdlDataInd sending ILSPwdAuthenticationFailed alarm", cucm, "ILSPwdAuthenticationFailed", -1, true},
		{"sdl failure text", "HandleSSLError - Certificate verification failed:(Verification error:18)- self signed certificate for 10.1.1.1", cucm, "ILSSelfSignedCertificate", -1, true},
		{"ibm error id", "# Error ID = 086008 : Key server connection failed", ibm, "086008", -1, true},
		{"ibm hash label", "#ErrorID=086008", ibm, "086008", -1, true},
		{"ibm event id", "Event ID 086008 logged", ibm, "086008", -1, true},
		{"ibm expanded", "event_id 086008", ibm, "086008", -1, true},
		{"ibm unknown event", "# Error ID = 981004 : FC discovery occurred", ibm, "981004", -1, false},
		{"ibm error code alone", "error code 1785", ibm, "1785", -1, true},
		{"ibm error code label", "Error Code = 1785", ibm, "1785", -1, true},
		{"ibm error_code", "error_code=1785 x", ibm, "1785", -1, true},
		{"message's own header beats a known one it quotes", "%SYS-5-CONFIG_I: then %FTD-6-722051: x", ios, "SYS-5-CONFIG_I", 5, false},
		{"login name quoting a known header", "%SEC_LOGIN-4-LOGIN_FAILED: Login failed [user: %SMART_LIC-0-COMM_FAILED] [Source: 1.2.3.4]", ios, "SEC_LOGIN-4-LOGIN_FAILED", 4, false},
		{"url quoting a known header", "%ASA-5-304001: 10.0.0.1 Accessed URL 1.2.3.4:http://x.example/%ASA-0-722051", ftd, "304001", 5, false},
		{"command quoting a known header", "%ASA-5-111010: User 'admin', running 'CLI' from IP 1.1.1.1, executed 'show logging | include %ASA-4-722051'", ftd, "111010", 5, false},
		{"relay then known after another relay", "%USER-2-SYSTEM_MSG: <<%DAEMON-3-SYSTEM_MSG: %SMART_LIC-3-COMM_FAILED: x>>", ios, "SMART_LIC-3-COMM_FAILED", 3, true},
		{"relay carrying only another relay", "%USER-2-SYSTEM_MSG: <<%DAEMON-3-SYSTEM_MSG: x>>", ios, "USER-2-SYSTEM_MSG", 2, false},
		{"header beats later label", "%SYS-5-CONFIG_I: error code 1785", ios, "SYS-5-CONFIG_I", 5, false},
		{"header beats later trace text", "%ASA-3-717009: Certificate validation failed: self signed certificate", ftd, "717009", 3, false},
		{"percent before id", "95% of %FTD-6-722051: x", ftd, "722051", 6, true},
		{"short firewall id then good one", "%ASA-6-72205: then %FTD-6-722051: x", ftd, "722051", 6, true},
		{"long firewall id then ios", "%ASA-6-7220511 x %SYS-5-CONFIG_I: y", ios, "SYS-5-CONFIG_I", 5, false},
		{"firewall id then punctuation", "%ASA-4-722051, Group g", ftd, "722051", 4, true},
		{"firewall id underscore is not alphanumeric", "%ASA-4-722051_x", ftd, "722051", 4, true},
		{"firewall-like facility is ios", "%ASAP-3-LINK_DOWN: x", ios, "ASAP-3-LINK_DOWN", 3, false},
		{"ftd-like facility with underscore is ios", "%FTD_HA-3-SYNC: x", ios, "FTD_HA-3-SYNC", 3, false},
		{"firewall-like facility with digits is ios", "%ASA5505-3-LINK_DOWN: x", ios, "ASA5505-3-LINK_DOWN", 3, false},
		{"percent alert name known", "% AlertName=ILSPwdAuthenticationFailed on node x", cucm, "ILSPwdAuthenticationFailed", -1, true},
		{"unknown alert name then known", "AlertName=CoreDumpFileFound AlertName=ILSPwdAuthenticationFailed", cucm, "ILSPwdAuthenticationFailed", -1, true},
		{"rtmt alert without name", "%UC_RTMT-2-RTMT_ALERT: no name here", cucm, "RTMT_ALERT", 2, false},
		{"signature before ibm label", "self signed certificate; error code 1785", cucm, "ILSSelfSignedCertificate", -1, true},
		{"ibm label before signature", "error code 1785 self signed certificate", ibm, "1785", -1, true},
		{"unknown ibm id then known signature", "Event ID 999999 then self signed certificate", cucm, "ILSSelfSignedCertificate", -1, true},
		{"ibm upper-case label", "ERROR CODE: 1785", ibm, "1785", -1, true},

		// IOS-XR writes some messages without the '%', after the process tag.
		{"bare header after process tag", "RP/0/RP0/CPU0:Sep 25 23:25:34.886 UTC: smartlicserver[186]: SMART_LIC-6-AGENT_READY:Smart Agent for Licensing is initialized", ios, "SMART_LIC-6-AGENT_READY", 6, false},
		{"bare header known", "RP/0/RSP0/CPU0:Mar  2 12:35:01.123 : smartlicserver[391]: SMART_LIC-3-COMM_FAILED : Communications failure with the CSLU : x", ios, "SMART_LIC-3-COMM_FAILED", 3, true},
		{"bare header with sub-facility", "<187>1234: LC/0/0/CPU0:Jan  1 00:00:00.000 UTC: smartlicserver[65]: LICENSE-SMART_LIC-3-COMM_FAILED:x", ios, "LICENSE-SMART_LIC-3-COMM_FAILED", 3, true},
		{"bare header at value start", "SMART_LIC-3-COMM_FAILED: Communications failure with the CSLU : x", ios, "SMART_LIC-3-COMM_FAILED", 3, true},
		{"bare header beats later label", "proc[7]: SYS-5-RESTART: error code 1785", ios, "SYS-5-RESTART", 5, false},
		{"bare header beats earlier label", "Event ID 086008 host proc[7]: SYS-5-RESTART: x", ios, "SYS-5-RESTART", 5, false},
		{"bare header beats earlier signature", "self signed certificate proc[7]: SYS-5-RESTART: x", ios, "SYS-5-RESTART", 5, false},
		{"bare header facility with digits and underscore", "proc[7]: C4K_SUP2-3-POWER_LOW: x", ios, "C4K_SUP2-3-POWER_LOW", 3, false},
		// A relay's header in front (the Kiwi wrapper of the real samples) puts the tag past 192 bytes.
		{"bare header behind a relay wrapper", "<190>Original Address=192.168.0.1 1 2025-06-23T16:13:32.168Z syslog-host-1 Kiwi_SyslogNet_Server 3356 MSGOUT asr9k-core-01.example.net: 138076: RP/0/RSP0/CPU0:Dec 11 12:43:29.227 EST: smartlicserver[1002]: SMART_LIC-3-COMM_FAILED : Communications failure with the CSLU : x", ios, "SMART_LIC-3-COMM_FAILED", 3, true},
		{"bare header lower-case sub-facility", "proc[7]: LICENSE-smart_lic-3-COMM_FAILED: x", ios, "LICENSE-smart_lic-3-COMM_FAILED", 3, true},
		// The shipped parser leaves an NX-OS line as "hostname: time: ..."; a host named like a header is no bare one.
		{"host name like a header before a header", "AS-1-CORE: 2023 Apr 26 09:08:48 UTC: %ETHPORT-5-IF_UP: Interface Ethernet1/1 is up", ios, "ETHPORT-5-IF_UP", 5, false},
		{"bare header at value start with text starting like a month", "SMART_LIC-6-AGENT_READY: Maybe later", ios, "SMART_LIC-6-AGENT_READY", 6, false},
		// A name the catalog knows is a header whatever its text starts with; an IOS-XR tag after a host name is the message's.
		{"known bare header at value start with text starting with a number", "SMART_LIC-3-COMM_FAILED : 3 attempts failed", ios, "SMART_LIC-3-COMM_FAILED", 3, true},
		{"host name like a header before an IOS-XR tag", "AS-1-CORE: RP/0/RSP0/CPU0:Dec 11 10:00:00.123 UTC: smartlicserver[1002]: SMART_LIC-3-COMM_FAILED : x", ios, "SMART_LIC-3-COMM_FAILED", 3, true},

		// Relays: the message is the one the relay header carries.
		{"nxos relay known", "2025 Sep 25 08:49:23 UTC: %USER-3-SYSTEM_MSG: %SMART_LIC-3-COMM_FAILED: Communications failure with the CSLU : x - smartlic", ios, "SMART_LIC-3-COMM_FAILED", 3, true},
		{"nxos relay unknown", "%USER-2-SYSTEM_MSG: %SMART_LIC-2-PLATFORM_ERROR: Smart Licensing has encountered an internal software error - smartlic", ios, "SMART_LIC-2-PLATFORM_ERROR", 2, false},
		{"nxos relay in angle brackets", "2025 Jan  7 10:01:02 sw1 %USER-2-SYSTEM_MSG: <<%USBHSD-2-MOUNT>> logflash: online  - usbhsd-log[2799]", ios, "USBHSD-2-MOUNT", 2, false},
		{"nxos relay other facility", "%DAEMON-3-SYSTEM_MSG: %AUTHPRIV-3-LOGIN_FAIL: failed - sshd", ios, "AUTHPRIV-3-LOGIN_FAIL", 3, false},
		{"iosxe relay", "%IOSXE-6-PLATFORM: F0: cpp_cp: QFP:0.0 Thread:000 TS:00000001234567890123 %NAT-6-LOG_TRANSLATION: Created Translation UDP 10.1.1.1:53", ios, "NAT-6-LOG_TRANSLATION", 6, false},
		{"iosxe relay known", "%IOSXE-3-PLATFORM: R0/0: cpp_cp: %SMART_LIC-3-COMM_FAILED: x", ios, "SMART_LIC-3-COMM_FAILED", 3, true},
		{"relay with nothing inside", "%IOSXE-3-PLATFORM: R0/0: kernel: disk 95% full", ios, "IOSXE-3-PLATFORM", 3, false},
		{"nxos relay free text", "%DAEMON-3-SYSTEM_MSG: error: PAM: Authentication failure - dcos_sshd[6526]", ios, "DAEMON-3-SYSTEM_MSG", 3, false},
		{"relay ignores labels", "%USER-3-SYSTEM_MSG: error code 1785 - proc", ios, "USER-3-SYSTEM_MSG", 3, false},
		// An NX-OS relay carries its message's header at the start of its text ("<<%FAC-SEV-MN>>" or "%FAC-SEV-MN:");
		// a header later in it is the text of a daemon's message: a login name typed at an SSH prompt.
		{"nxos relay quoting a known header in a login name", "2023 Jan 15 00:31:52 CET: %DAEMON-3-SYSTEM_MSG: error: PAM: Authentication failure for illegal user %SMART_LIC-0-COMM_FAILED from 4.3.6.5 - dcos_sshd[6526]", ios, "DAEMON-3-SYSTEM_MSG", 3, false},
		{"nxos relay quoting a firewall header in a login name", "<187>: 2025 Jun 25 11:36:10 MST: %AUTHPRIV-3-SYSTEM_MSG: pam_aaa:Authentication failed for user %FTD-0-722051 from 192.168.1.10 - dcos_sshd[23099]", ios, "AUTHPRIV-3-SYSTEM_MSG", 3, false},
		{"nxos relay quoting a header in angle brackets later", "%USER-2-SYSTEM_MSG: Failed to open /bootflash/<<%SYS-0-RELOAD>> - securityd", ios, "USER-2-SYSTEM_MSG", 2, false},
		{"non-relay keeps its header", "%LLDP-3-DETECT_MULTIPLE_PEERS: %EARL-1-PARITY: x", ios, "LLDP-3-DETECT_MULTIPLE_PEERS", 3, false},
		{"platform mnemonic of another facility is no relay", "%SYSMGR-3-PLATFORM: %SMART_LIC-3-COMM_FAILED: x", ios, "SYSMGR-3-PLATFORM", 3, false},
		{"iosxe message other than platform is no relay", "%IOSXE-2-DIAGNOSTICS_FAILED: R0: %SMART_LIC-3-COMM_FAILED: x", ios, "IOSXE-2-DIAGNOSTICS_FAILED", 2, false},
		{"cucm alarm named like a relay is no relay", "%CCM_SERVICEMANAGER-GENERIC-3-Service-SYSTEM_MSG: %SYS-5-CONFIG_I: x", cucm, "Service-SYSTEM_MSG", 3, false},

		// Unified CM RTMT through CiscoLog, dashes in the alarm name.
		{"legacy rtmt alert", "%CCM_RTMT-RTMT-2-RTMT-ERROR-ALERT: RTMT Alert Name:DBChangeNotifyFailure Detail: DBChangeNotify queue delay over 2 minutes.", cucm, "DBChangeNotifyFailure", 2, false},
		{"legacy rtmt alert known", "Jun 17 2025 14:14:19 UTC : %CCM_RTMT-RTMT-2-RTMT-ERROR-ALERT: RTMT Alert Name:ILSPwdAuthenticationFailed Detail: x", cucm, "ILSPwdAuthenticationFailed", 2, true},
		{"legacy rtmt warning", "%CCM_RTMT-RTMT-4-RTMT-WARNING-ALERT: RTMT Alert Name: LowActivePartitionAvailableDiskSpace Detail: x", cucm, "LowActivePartitionAvailableDiskSpace", 4, false},
		{"legacy rtmt without name", "%CCM_RTMT-RTMT-2-RTMT-ERROR-ALERT: no name here", cucm, "RTMT-ERROR-ALERT", 2, false},
		{"rtmt alert tag", "%UC_RTMT-2-RTMT_ALERT: %[AlertName=CoreDumpFileFound][AlertDetail=x]", cucm, "CoreDumpFileFound", 2, false},
		{"rtmt alert tag with an empty name", "%UC_RTMT-2-RTMT_ALERT: %[AlertName=][AlertDetail=x]", cucm, "RTMT_ALERT", 2, false},
		{"rtmt header without a level is no alert", "%CCM_RTMT-RTMT-2-RTMT-ALERT: RTMT Alert Name:DBChangeNotifyFailure Detail: x", cucm, "RTMT-ALERT", 2, false},
		{"alert header of another facility is no rtmt alert", "%CCM_SERVICEMANAGER-GENERIC-3-ServiceDown-ALERT: AlertName=CoreDumpFileFound", cucm, "ServiceDown-ALERT", 3, false},
		{"rtmt header other than an alert", "%CCM_RTMT-RTMT-6-RTMT-SERVICE-STARTED: AlertName=CoreDumpFileFound", cucm, "RTMT-SERVICE-STARTED", 6, false},
		{"cucm dashed alarm", "%CCM_SERVICEMANAGER-GENERIC-3-Service-Failed: x", cucm, "Service-Failed", 3, false},
		{"cucm alarm with a digit part", "%UC_CALLMANAGER-3-Trunk-1-Down: x", cucm, "Trunk-1-Down", 3, false},
		{"cucm sub-facility starting with a digit", "%UC_CALLMANAGER-7960-3-EndPointUnregistered: x", cucm, "EndPointUnregistered", 3, false},
		{"cucm sub-facility of one letter", "%UC_CALLMANAGER-A-3-EndPointUnregistered: x", cucm, "EndPointUnregistered", 3, false},
		// An alert name is bounded as a header is: a crafted line must not put an ID of any length
		// into records and the unknown-ID report; a name too long is no name, so the header's alarm name is the ID.
		// An empty alert name is no name: the label after it is not the alert's name.
		{"rtmt alert empty name", " %UC_RTMT-2-RTMT_ALERT: % AlertName= AlertDetail= At Mon Aug 21 22:22:27 EST 2017 on node 172.16.136.21", cucm, "RTMT_ALERT", 2, false},
		{"legacy rtmt alert empty name", "%CCM_RTMT-RTMT-2-RTMT-ERROR-ALERT: RTMT Alert Name: Detail: DBChangeNotify queue delay over 2 minutes.", cucm, "RTMT-ERROR-ALERT", 2, false},
		{"rtmt alert name longer than any message ID", "%UC_RTMT-2-RTMT_ALERT: % AlertName=" + strings.Repeat("A", 130) + " AlertDetail= x", cucm, "RTMT_ALERT", 2, false},
		{"legacy rtmt alert name longer than any message ID", "%CCM_RTMT-RTMT-2-RTMT-ERROR-ALERT: RTMT Alert Name:" + strings.Repeat("B", 130) + " Detail: x", cucm, "RTMT-ERROR-ALERT", 2, false},
		{"rtmt alert name of 128 bytes", "%UC_RTMT-2-RTMT_ALERT: % AlertName=" + strings.Repeat("A", 128) + " AlertDetail= x", cucm, strings.Repeat("A", 128), 2, false},
		{"rtmt alert name of 129 bytes", "%UC_RTMT-2-RTMT_ALERT: % AlertName=" + strings.Repeat("A", 129) + " AlertDetail= x", cucm, "RTMT_ALERT", 2, false},

		// The bounds of docs/recognition.md, at their limits.
		{"header of 128 bytes", "%" + strings.Repeat("A", 124) + "-3-X: y", ios, strings.Repeat("A", 124) + "-3-X", 3, false},
		{"header of 8 parts", "%A-B-C-D-E-F-3-X: y", ios, "A-B-C-D-E-F-3-X", 3, false},
		{"bare header after a tag ending at byte 320", strings.Repeat("x", 314) + " p[1]: SMART_LIC-6-AGENT_READY: x", ios, "SMART_LIC-6-AGENT_READY", 6, false},
		{"rtmt alert label ending 48 bytes after the header", "%UC_RTMT-2-RTMT_ALERT:" + strings.Repeat(" ", 42) + "AlertName=CoreDump x", cucm, "CoreDump", 2, false},
		{"rtmt alert label ending 49 bytes after the header", "%UC_RTMT-2-RTMT_ALERT:" + strings.Repeat(" ", 43) + "AlertName=CoreDump x", cucm, "RTMT_ALERT", 2, false},
		{"rtmt alert ending in Alert", "%UC_RTMT-2-RTMT_ALERT: Alert", cucm, "RTMT_ALERT", 2, false},
		{"bare header of a Z facility", "ZBF-5-DROP: x", ios, "ZBF-5-DROP", 5, false},
		{"bare header of a one-letter facility", "X-5-DROP: x", ios, "X-5-DROP", 5, false},
		{"ios letter severity debug", "%SNMP-D-TRACE: x", ios, "SNMP-D-TRACE", 7, false},
		{"ios letter severity info", "%SNMP-I-COLDSTART: x", ios, "SNMP-I-COLDSTART", 6, false},
		{"ngips double dash", "%NGIPS--1-430002: EventPriority: Low", ftd, "430002", 1, false},

		// An IBM event ID is more specific than its error code.
		{"ibm error code then event", "Error Code 1785, Event ID 086008: Key server connection failed", ibm, "086008", -1, true},
		{"ibm error code then event expanded", "error_code=1785 event_id=086008", ibm, "086008", -1, true},
		{"ibm hash error code then error id", "# Error Code = 1785 # Error ID = 086008", ibm, "086008", -1, true},
		{"ibm error code then unknown event", "Error Code 1785, Event ID 999999: x", ibm, "1785", -1, true},
		{"two unknown ibm ids first wins", "# Error ID = 981004 then Event ID 981005", ibm, "981004", -1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, ok := e.Recognise([]byte(tt.line))
			if !ok {
				t.Fatalf("Recognise(%q) found nothing", tt.line)
			}
			if m.Product != tt.product || m.ID != tt.id || m.Severity != tt.sev || (m.Entry != nil) != tt.known {
				t.Errorf("Recognise(%q) = %s %q sev %d known %v, want %s %q sev %d known %v",
					tt.line, m.Product, m.ID, m.Severity, m.Entry != nil, tt.product, tt.id, tt.sev, tt.known)
			}
		})
	}
}

func TestRecogniseNothing(t *testing.T) {
	e := newEngine(t, testCatalog(t), nil)
	tests := []struct{ name, line string }{
		{"percent of", "System Memory usage reached 93% of 95% limit"},
		{"cucm tag", "%[DeviceName=SEP1][IPAddress=10.1.1.1]: An endpoint"},
		{"rtmt space", "% AlertName"},
		{"unknown alert name after percent", "% AlertName=Something"},
		{"unknown alert name alone", "AlertName=CoreDumpFileFound on node x"},
		{"empty alert name", "% AlertName= AlertDetail=x"},
		{"firewall five digits", "%ASA-6-72205: Group g"},
		{"firewall five digits and a dot", "%ASA-6-72205. Group g"},
		{"firewall seven digits", "%ASA-6-7220511 Group g"},
		{"firewall digits then letters", "%ASA-4-722051abc: Group g"},
		{"firewall mnemonic", "%FTD-6-CONFIG: x"},
		{"firewall class of 17 bytes", "%ASA-" + strings.Repeat("a", 17) + "-6-325001: x"},
		{"firewall cut after its dash", "%ASA-"},
		{"firewall cut in its class", "%ASA-session"},
		{"threat defense short id", "%Threat Defense-4-72205: x"},
		{"firewall class short id", "%FTD-session-6-30201 x"},
		{"url escape", "%61pguser and %59 application"},
		{"url escape before a dashed word", "GET /docs/%20step-1-install HTTP/1.1"},
		{"url escape in a query", "q=usb%20type-C-cable"},
		{"url escape upper-case hex", "path=%2Fstep-1-install"},
		{"url escape lower-case hex", "q=%3dnote-5-x"},
		{"url escape of a percent", "%2520step-1-install"},
		{"bare percent", "%"},
		{"percent at end", "rate 5%"},
		{"relay stripped", "Group <X> User <Y> IP <Z> AnyConnect parent session started."},
		{"repeated", "last message repeated 66 times"},
		{"empty error code", "# Error Code = "},
		{"three digit code", "error code 404"},
		{"four digits after an ID label", "Microsoft-Windows-Security-Auditing: Event ID 4625: An account failed to log on"},
		{"four digits after error_id", "error_id=1785"},
		{"lower-case severity letter", "%FOO-w-BAR: x"},
		{"digits facility", "%20-5-X"},
		{"facility without a letter", "%_1-5-UP: x"},
		{"header longer than any message ID", "%" + strings.Repeat("A", 130) + "-3-X: y"},
		{"mnemonic longer than any message ID", "%UC_X-3-" + strings.Repeat("B", 130) + ": y"},
		{"word ending in error", "terrorID 086008"},
		{"empty", ""},
		{"bare header in free text", "note: SMART_LIC-3-COMM_FAILED: x"},
		{"bare header without colon", "proc[12]: SMART_LIC-3-COMM_FAILED x"},
		{"bare header lower case", "proc[12]: smart_lic-3-comm_failed: x"},
		{"bare header letter severity", "proc[12]: SNMP-W-AUTHFAIL: x"},
		{"bare header mixed-case facility", "Step-1-install: begin"},
		{"bare header mixed-case facility after tag", "backup[812]: Step-1-install: begin"},
		{"bare header lower case after the first letter", "proc[12]: SMART_lic-3-COMM_FAILED: x"},
		{"bare header after non-pid tag", "proc[abc]: SMART_LIC-3-COMM_FAILED: x"},
		{"process tag alone", "sshd[123]: Accepted password for user"},
		{"process tag past the header", strings.Repeat("x", maxTagEnd) + " proc[12]: SMART_LIC-3-COMM_FAILED: x"},
		{"alert name outside rtmt header", "RTMT Alert Name:DBChangeNotifyFailure Detail: x"},
		{"process tag ending past byte 320", strings.Repeat("x", 315) + " p[1]: SMART_LIC-6-AGENT_READY: x"},
		{"pid tag at value start", "[1]: SMART_LIC-6-AGENT_READY: x"},
		{"pid tag without a process name", "up [186]: SMART_LIC-6-AGENT_READY: x"},
		{"pid tag without its opening bracket", "proc12]: SMART_LIC-6-AGENT_READY: x"},
		{"bare header starting with a digit", "1GPORT-5-UP: x"},
		{"bare header starting with an underscore", "proc[12]: _SYS-5-RESTART: x"},
		{"bare firewall header", "FTD-6-722051: Group g"},
		{"bare unified cm header", "UC_CALLMANAGER-3-EndPointUnregistered: x"},
		{"bare header facility with a lower-case a", "proc[12]: SMART_LIa-3-COMM_FAILED: x"},
		{"header longer than 128 bytes", "%" + strings.Repeat("A", 125) + "-3-X: y"},
		{"header of 9 parts", "%A-B-C-D-E-F-G-3-X: y"},
		{"header of 2 parts", "%E-LINK: x"},
		{"ios severity 8", "%LINK-8-UPDOWN: x"},
		{"firewall severity 8", "%ASA-8-722051: Group g"},
		{"firewall three dashes", "%FTD---6-852002: Received"},
		{"ibm id running into letters", "Event ID 086008abc"},
		{"digits and a tag end at the value start", "123]: SMART_LIC-6-AGENT_READY: x"},
		{"process tag without a pid", "proc[]: SMART_LIC-6-AGENT_READY: x"},
		{"bare header ending the value", "SMART_LIC-3-COMM_FAILED"},
		// A device's host name where the shipped parser's value starts, before the time it writes (NX-OS, IOS).
		{"host name before a year-first time", "AS-1-CORE: 2023 Apr 26 09:08:48 UTC: last message repeated 3 time"},
		{"host name before a time", "RTR-2-WAN: Jan 01 12:34:56 UTC: last message repeated 2 times"},
		{"host name before an unset clock", "SW-1-IDF: *Mar  1 00:01:02.123: last message repeated 2 times"},
		{"host name before a sequence number", "DC1-LEAF-1-A: 000124: Mar  1 00:01:02: last message repeated 2 times"},
		{"host name before an uptime", "SW-1-IDF: 1d02h: last message repeated 2 times"},
		{"firewall prefix ending the value", "%ASA"},
		{"header cut after a dash", "%SYS-5-"},
		{"error ending the value", "disk error"},
		{"error code ending the value", "disk error code"},
		{"error label run on into a word", "Error Identity 086008 and error codes 1785"},
		{"unified cm header without a severity", "%UC_CALLMANAGER-DB-EndPointUnregistered: x"},
		{"unified cm header ending in its severity", "%UC_CALLMANAGER-DB-3: x"},
		{"angle tag longer than 24 bytes", "%FTD<" + strings.Repeat("x", 23) + ">-4-313005: No matching connection"},
		{"class after an angle tag without a dash", "dev01: %FTD<Up>session-6-302013: Built inbound TCP connection"},
		{"firewall class of a symbol", "%ASA-~-6-302013: Built inbound TCP connection"},
		{"firewall class with a symbol", "%ASA-vpn~-6-302013: Built inbound TCP connection"},
		{"firewall class ending in an underscore", "%ASA-session_6-302013: Built inbound TCP connection"},
		{"firewall severity without its dash", "%ASA-6 722051: Group g"},
		{"firewall severity of a symbol", "%ASA-*-722051: Group g"},
		{"line cut in a firewall prefix", "Jan 22 14:05:11 dev01 : %AS"},
		{"line cut in an error label", "Jan 22 14:05:11 node1 : disk err"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A value that ends its chunk has no bytes after it to read.
			v := []byte(tt.line)
			if m, ok := e.Recognise(v[:len(v):len(v)]); ok {
				t.Errorf("Recognise(%q) = %s %q, want nothing", tt.line, m.Product, m.ID)
			}
		})
	}
}

// TestRecogniseSpan checks where Recognise says the identifier is: a signature's ID is the
// entry's, not in the value, so its span is empty at the text it found.
func TestRecogniseSpan(t *testing.T) {
	e := newEngine(t, testCatalog(t), nil)
	tests := []struct {
		name, line string
		start, end int
	}{
		{"firewall header", "x %FTD-6-722051: Group g", 9, 15},
		{"ios header", "%SYS-5-CONFIG_I: x", 1, 15},
		{"ibm label", "Error ID = 086008", 11, 17},
		{"signature", "trace: EncrUtil::decryptData failed", 7, 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if m, ok := e.Recognise([]byte(tt.line)); !ok || m.Start != tt.start || m.End != tt.end {
				t.Errorf("Recognise(%q) = %q at %d-%d, found %v; want %d-%d", tt.line, m.ID, m.Start, m.End, ok, tt.start, tt.end)
			}
		})
	}
}

// TestRecogniseTextAtEveryOffset places each kind of header-less anchor at
// every offset of a value: the text scan tests byte pairs at every other
// position only, so an anchor must be found whether it starts at an even
// or an odd offset, at the very start and at the very end.
func TestRecogniseTextAtEveryOffset(t *testing.T) {
	e := newEngine(t, testCatalog(t), nil)
	tests := []struct{ name, text, id string }{
		{"alert name", "AlertName=ILSPwdAuthenticationFailed", "ILSPwdAuthenticationFailed"},
		{"alarm name", "ILSPwdAuthenticationFailed", "ILSPwdAuthenticationFailed"},
		{"failure text", "self signed certificate", "ILSSelfSignedCertificate"},
		{"ibm lower", "error code 1785", "1785"},
		{"ibm capitalised", "Error ID = 086008", "086008"},
		{"ibm upper", "ERROR CODE 1785", "1785"},
		{"ibm mixed", "eRROR_code=1785", "1785"},
		{"ibm event", "Event ID 086008", "086008"},
		{"ibm event upper", "EVENT_ID: 086008", "086008"},
		{"process tag", "p[1]: SMART_LIC-3-COMM_FAILED: x", "SMART_LIC-3-COMM_FAILED"},
		{"process tag long pid", "smartlicserver[18604]: SMART_LIC-3-COMM_FAILED:x", "SMART_LIC-3-COMM_FAILED"},
	}
	for _, tt := range tests {
		for pad := 0; pad < 6; pad++ {
			for _, tail := range []string{"", " x", "."} {
				line := strings.Repeat(".", pad) + tt.text + tail
				t.Run(fmt.Sprintf("%s at %d%q", tt.name, pad, tail), func(t *testing.T) {
					m, ok := e.Recognise([]byte(line))
					if !ok || m.ID != tt.id || m.Entry == nil {
						t.Errorf("Recognise(%q) = %q known %v found %v, want %q known", line, m.ID, m.Entry != nil, ok, tt.id)
					}
				})
			}
		}
	}
}

// TestRecogniseShortestSignature places a signature of catalog.MinSignatureLen bytes at every
// offset of a value, the very end included.
func TestRecogniseShortestSignature(t *testing.T) {
	cat, err := catalog.New("test", []catalog.Entry{{Product: catalog.ProductCUCM, ID: "ShortSignatureAlarm",
		Explanation: "A short trace text.", Signatures: []string{"QzXw"}}})
	if err != nil {
		t.Fatalf("catalog: %v", err)
	}
	e := newEngine(t, cat, nil)
	for pad := 0; pad < 4; pad++ {
		for _, tail := range []string{"", " x"} {
			line := strings.Repeat(".", pad) + "QzXw" + tail
			if m, ok := e.Recognise([]byte(line)); !ok || m.ID != "ShortSignatureAlarm" || m.Entry == nil {
				t.Errorf("Recognise(%q) = %q known %v found %v, want ShortSignatureAlarm known", line, m.ID, m.Entry != nil, ok)
			}
		}
	}
}
