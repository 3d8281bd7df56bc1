export { startMailSink, type MailSink, type MailSinkOptions } from './smtp-mail-sink';
export { listMailSink, type SinkMessage } from './mail-sink-listing';
