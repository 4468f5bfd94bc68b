

5839201746/1.0"eventmeshmessage*!
subjectTEST-TOPIC-TCP-ASYNC*
datacontenttype
text/plain*"
protocoltypeeventmeshmessage*
protocoldesctcp*
protocolversion1.0*
ttl4000*
time:€ó€¯À²Í;:testAsyncMessage