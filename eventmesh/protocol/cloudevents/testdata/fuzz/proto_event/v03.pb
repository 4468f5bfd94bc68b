
1/s0.3"t*
	schemaurl	2/schema*#
time2023-01-01T08:00:00+08:00:hello