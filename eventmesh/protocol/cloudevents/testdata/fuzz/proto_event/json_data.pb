
C234-1234-1234
/mycontext1.0"com.example.someevent*%
datacontenttypeapplication/json*
comexampleothervalue*

flag:1{"appinfoA":"abc","appinfoB":123,"appinfoC":true}