# What the chart needs (terraform/helm-release reads these): put the URLs into the Secret named
# by existingSecret, the rest into values.
output "cluster_name" {
  description = "EKS cluster name (aws eks update-kubeconfig --name ...)."
  value       = aws_eks_cluster.this.name
}

output "cluster_endpoint" {
  description = "EKS API endpoint."
  value       = aws_eks_cluster.this.endpoint
}

output "cluster_ca_certificate" {
  description = "EKS cluster CA (base64)."
  value       = try(aws_eks_cluster.this.certificate_authority[0].data, null)
}

output "postgres_address" {
  description = "RDS host; DATABASE_URL = postgres://copyfleet:<password>@<address>:5432/copyfleet?sslmode=require."
  value       = aws_db_instance.postgres.address
}

output "postgres_master_secret_arn" {
  description = "Secrets Manager secret with the RDS master password (managed by RDS)."
  value       = try(aws_db_instance.postgres.master_user_secret[0].secret_arn, null)
}

output "redis_primary_endpoint" {
  description = "Redis primary endpoint; REDIS_URL = rediss://:<auth token>@<endpoint>:6379."
  value       = aws_elasticache_replication_group.redis.primary_endpoint_address
}

output "landing_bucket" {
  description = "Landing bucket name (schedules[].source = s3://<bucket>/<prefix>/)."
  value       = aws_s3_bucket.landing.bucket
}

output "region" {
  description = "config.s3.region of the chart."
  value       = var.region
}

output "vpc_cidr" {
  description = "networkPolicy.egressCIDRs of the chart (RDS, Redis and the S3 endpoint are in the VPC)."
  value       = aws_vpc.this.cidr_block
}

output "chart_values" {
  description = "Non-secret chart values derived from this environment."
  value = {
    config        = { s3 = { region = var.region } }
    networkPolicy = { egressCIDRs = [aws_vpc.this.cidr_block] }
  }
}
