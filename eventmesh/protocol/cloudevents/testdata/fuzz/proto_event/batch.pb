
º
C234-1234-1234
/mycontext1.0"com.example.someevent*%
datacontenttypeapplication/json*
comexampleothervalue*

flag:1{"appinfoA":"abc","appinfoB":123,"appinfoC":true}
S
1/s0.3"t*
	schemaurl	2/schema*#
time2023-01-01T08:00:00+08:00:hello