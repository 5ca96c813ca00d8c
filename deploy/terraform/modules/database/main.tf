locals {
  prod = var.environment == "prod"
}

resource "aws_db_instance" "postgres" {
  #checkov:skip=CKV_AWS_157:multi-AZ is on in prod (var.environment == "prod"); dev and staging do not pay for a standby
  #checkov:skip=CKV_AWS_293:deletion protection is on in prod; dev and staging are torn down freely
  #checkov:skip=CKV2_AWS_30:statement logging would write document metadata into CloudWatch; slow queries are in Performance Insights
  identifier     = "ablage-db-${var.environment}"
  engine         = "postgres"
  engine_version = "16.6"
  # Minor versions bring security fixes; they apply in the maintenance window.
  auto_minor_version_upgrade = true

  instance_class    = var.db_instance_class
  allocated_storage = var.allocated_storage
  storage_type      = "gp3"
  storage_encrypted = true
  kms_key_id        = aws_kms_key.database.arn

  db_name  = "ablage_system"
  username = "ablage_admin"
  password = random_password.db_password.result

  multi_az               = local.prod
  db_subnet_group_name   = aws_db_subnet_group.postgres.name
  vpc_security_group_ids = [aws_security_group.postgres.id]
  publicly_accessible    = false

  iam_database_authentication_enabled   = true
  performance_insights_enabled          = true
  performance_insights_kms_key_id       = aws_kms_key.database.arn
  performance_insights_retention_period = 7
  monitoring_interval                   = 60
  monitoring_role_arn                   = aws_iam_role.monitoring.arn

  backup_retention_period = local.prod ? 30 : 7
  backup_window           = "03:00-04:00"
  maintenance_window      = "sun:04:00-sun:05:00"
  copy_tags_to_snapshot   = true

  enabled_cloudwatch_logs_exports = ["postgresql", "upgrade"]

  deletion_protection = local.prod
  skip_final_snapshot = !local.prod
  # A fixed name: timestamp() here would change on every plan and show a perpetual diff.
  final_snapshot_identifier = local.prod ? "ablage-db-final-${var.environment}" : null

  tags = {
    Name = "ablage-postgres-${var.environment}"
  }
}

resource "aws_kms_key" "database" {
  #checkov:skip=CKV2_AWS_64:the default key policy (account root administers, IAM decides use) is intended here
  description         = "RDS storage and Performance Insights of ablage-${var.environment}"
  enable_key_rotation = true
}

resource "aws_db_subnet_group" "postgres" {
  name       = "ablage-db-subnet-group-${var.environment}"
  subnet_ids = var.private_subnet_ids

  tags = {
    Name = "ablage-db-subnet-group-${var.environment}"
  }
}

resource "aws_security_group" "postgres" {
  name_prefix = "ablage-postgres-"
  description = "PostgreSQL of ablage-${var.environment}: reachable from the application only"
  vpc_id      = var.vpc_id

  ingress {
    description     = "PostgreSQL from the application"
    from_port       = 5432
    to_port         = 5432
    protocol        = "tcp"
    security_groups = var.app_security_group_ids
  }

  tags = {
    Name = "ablage-postgres-sg-${var.environment}"
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_iam_role" "monitoring" {
  name_prefix        = "ablage-rds-monitoring-"
  assume_role_policy = data.aws_iam_policy_document.monitoring_assume.json
}

data "aws_iam_policy_document" "monitoring_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["monitoring.rds.amazonaws.com"]
    }
  }
}

resource "aws_iam_role_policy_attachment" "monitoring" {
  role       = aws_iam_role.monitoring.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
}

# RDS refuses '/', '@', '"' and spaces in the master password; the special characters are limited to safe ones.
resource "random_password" "db_password" {
  length           = 32
  special          = true
  override_special = "!#$%&*()-_=+[]{}<>:?"
}

# The services' own role (ablage_app): SELECT, INSERT, UPDATE, DELETE on the tables and USAGE on the sequences, no
# DDL, owner of nothing. The db-migrate Job creates it and grants that much (deploy/k8s/base/db-grants.sql), as the
# master user, which only the migrations use.
resource "random_password" "app_password" {
  length           = 32
  special          = true
  override_special = "!#$%&*()-_=+[]{}<>:?"
}

resource "aws_secretsmanager_secret" "db_password" {
  #checkov:skip=CKV2_AWS_57:rotation would change the password behind the URL that Vault hands to the pods; rotate through Terraform
  name       = "ablage-db-password-${var.environment}"
  kms_key_id = aws_kms_key.database.arn
}

resource "aws_secretsmanager_secret_version" "db_password" {
  secret_id     = aws_secretsmanager_secret.db_password.id
  secret_string = jsonencode(local.connection)
}

locals {
  app_username = "ablage_app"
  endpoint     = "${aws_db_instance.postgres.address}:${aws_db_instance.postgres.port}/${aws_db_instance.postgres.db_name}?sslmode=require"
  connection = {
    # The master user, for the migrations only (the db-migrate Job's DATABASE_URL, migrate_url).
    username = aws_db_instance.postgres.username
    password = random_password.db_password.result
    host     = aws_db_instance.postgres.address
    port     = aws_db_instance.postgres.port
    dbname   = aws_db_instance.postgres.db_name
    # The services' DATABASE_URL (url) is the app role's; passwords are URL-encoded because they may contain
    # reserved characters.
    app_username = local.app_username
    app_password = random_password.app_password.result
    url          = "postgresql+psycopg://${local.app_username}:${urlencode(random_password.app_password.result)}@${local.endpoint}"
    migrate_url  = "postgresql+psycopg://${aws_db_instance.postgres.username}:${urlencode(random_password.db_password.result)}@${local.endpoint}"
  }
}
