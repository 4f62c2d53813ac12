variable "cluster_name" {
  description = "terraform/aws output cluster_name."
  type        = string
}

variable "cluster_endpoint" {
  description = "terraform/aws output cluster_endpoint."
  type        = string
}

variable "cluster_ca_certificate" {
  description = "terraform/aws output cluster_ca_certificate (base64)."
  type        = string
}

variable "region" {
  description = "terraform/aws output region."
  type        = string
}

variable "vpc_cidr" {
  description = "terraform/aws output vpc_cidr (the chart's NetworkPolicy egress CIDR)."
  type        = string
}

variable "landing_bucket" {
  description = "terraform/aws output landing_bucket."
  type        = string
}

variable "namespace" {
  description = "Namespace of the release (must match terraform/aws kubernetes_namespace)."
  type        = string
  default     = "copyfleet"
}

variable "database_url" {
  description = "DATABASE_URL (postgres://copyfleet:<password>@<postgres_address>:5432/copyfleet?sslmode=require)."
  type        = string
  sensitive   = true
}

variable "keda_database_url" {
  description = "KEDA's connection for the worker trigger (a read-only role is enough)."
  type        = string
  sensitive   = true
}

variable "redis_url" {
  description = "REDIS_URL (rediss://:<auth token>@<redis_primary_endpoint>:6379)."
  type        = string
  sensitive   = true
}

variable "dashboard_token" {
  description = "DASHBOARD_TOKEN."
  type        = string
  sensitive   = true
}

variable "splitter_token" {
  description = "SPLITTER_TOKEN: the splitter service API's token (copyfleet load --cluster sends it)."
  type        = string
  sensitive   = true
}

variable "image_repository" {
  description = "copyfleet image repository."
  type        = string
}

variable "image_tag" {
  description = "copyfleet image tag (pin a digest)."
  type        = string
}

variable "keda_chart_version" {
  description = "KEDA Helm chart version."
  type        = string
  default     = "2.16.1"
}

variable "daily_prefix" {
  description = "Prefix of the landing bucket loaded every day; empty: no schedule."
  type        = string
  default     = ""
}
