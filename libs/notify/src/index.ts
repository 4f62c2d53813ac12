export { notifyRunEnd, settleNotifications, type Delivery, type NotifyOptions } from './notify.js';
export { runSummaryOf, webhookPayload, formatCount, formatDuration, type RunSummary, type RunRowLike, type WebhookPayload, type EndStatus } from './summary.js';
