output "release" {
  description = "Name, namespace and revision of the copyfleet release."
  value = {
    name      = helm_release.copyfleet.name
    namespace = helm_release.copyfleet.namespace
    revision  = helm_release.copyfleet.metadata[0].revision
  }
}
