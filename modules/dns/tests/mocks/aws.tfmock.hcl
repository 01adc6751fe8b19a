# Values the mocked AWS provider returns, shared by every test file of the dns module: the load
# balancer the AWS Load Balancer Controller made for the Ingress group.

mock_data "aws_lbs" {
  defaults = {
    arns = ["arn:aws:elasticloadbalancing:eu-west-3:111122223333:loadbalancer/app/k8s-payflow-0123456789/0123456789abcdef"]
  }
}
mock_data "aws_lb" {
  defaults = {
    dns_name = "k8s-payflow-0123456789-1234567890.eu-west-3.elb.amazonaws.com"
    # The canonical hosted zone of application load balancers in eu-west-3.
    zone_id = "Z3Q77PNBQS71R4"
  }
}
