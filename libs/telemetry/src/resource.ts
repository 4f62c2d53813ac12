/**
 * The resource of every copyfleet process: service.name, service.instance.id (host/pid:
 * two workers on one host are two instances), and the runtime — but never the command
 * line (the SDK's processDetector exports process.command_args, where a connection
 * string and its password may be). OTEL_RESOURCE_ATTRIBUTES is merged over this.
 */
import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import { hostname } from 'node:os';

export function processResource(service: string): Resource {
  return resourceFromAttributes({
    'service.name': service,
    'service.instance.id': `${hostname()}/${process.pid}`,
    'process.pid': process.pid,
    'process.runtime.name': 'nodejs',
    'process.runtime.version': process.versions.node,
  });
}
