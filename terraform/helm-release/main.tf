# The copyfleet release on the cluster of terraform/aws: KEDA, the connection Secret (the chart
# takes it by reference, existingSecret), and the chart itself. Migrations run as a plain Job:
# Helm hook Jobs deadlock under Terraform's helm provider with wait = true (apache/airflow#32003).
resource "kubernetes_namespace_v1" "copyfleet" {
  metadata {
    name   = var.namespace
    labels = { "app.kubernetes.io/part-of" = "copyfleet" }
  }
}

resource "helm_release" "keda" {
  name             = "keda"
  repository       = "https://kedacore.github.io/charts"
  chart            = "keda"
  version          = var.keda_chart_version
  namespace        = "keda"
  create_namespace = true
}

resource "kubernetes_secret_v1" "connections" {
  metadata {
    name      = "copyfleet"
    namespace = kubernetes_namespace_v1.copyfleet.metadata[0].name
  }
  data = {
    DATABASE_URL      = var.database_url
    KEDA_DATABASE_URL = var.keda_database_url
    REDIS_URL         = var.redis_url
    DASHBOARD_TOKEN   = var.dashboard_token
    SPLITTER_TOKEN    = var.splitter_token
  }
}

resource "helm_release" "copyfleet" {
  name      = "copyfleet"
  chart     = "${path.module}/../../charts/copyfleet"
  namespace = kubernetes_namespace_v1.copyfleet.metadata[0].name
  wait      = true
  timeout   = 900

  values = [yamlencode({
    existingSecret = kubernetes_secret_v1.connections.metadata[0].name
    image          = { repository = var.image_repository, tag = var.image_tag }
    migrations     = { useHelmHooks = false }
    config         = { s3 = { region = var.region } }
    networkPolicy  = { egressCIDRs = [var.vpc_cidr] }
    schedules = var.daily_prefix == "" ? [] : [{
      name     = "landing-daily"
      schedule = "15 2 * * *"
      source   = "s3://${var.landing_bucket}/${var.daily_prefix}"
    }]
  })]

  depends_on = [helm_release.keda]
}
