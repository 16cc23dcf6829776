package sample

// Word lists for fake data. Most of TagMango's creators and their audiences are in
// India, so most fake participants are too; the rest have international names.
//
// The lists are static data: they cost nothing at start-up, which every command pays
// (a fake-data library's package init measured 1.75 ms, a fifth of a one-shot command).

var indianFirstNames = []string{
	"Aarav", "Aditi", "Aditya", "Ananya", "Anika", "Arjun", "Ayesha", "Deepak", "Diya",
	"Gaurav", "Ishaan", "Isha", "Kabir", "Kavya", "Krishna", "Meera", "Mohit", "Neha",
	"Nikhil", "Pooja", "Pranav", "Priya", "Rahul", "Riya", "Rohan", "Sakshi", "Sanjay",
	"Shreya", "Siddharth", "Sneha", "Tanvi", "Varun", "Vikram", "Vivek", "Yash", "Zoya",
	"Harpreet", "Lakshmi", "Farhan", "Anjali", "Karthik", "Divya", "Suresh", "Nandini",
}

var indianLastNames = []string{
	"Agarwal", "Bhat", "Chatterjee", "Das", "Desai", "Gupta", "Iyer", "Jain", "Joshi",
	"Kapoor", "Khan", "Kulkarni", "Kumar", "Malhotra", "Mehta", "Menon", "Mishra", "Nair",
	"Patel", "Pillai", "Rao", "Reddy", "Saxena", "Shah", "Sharma", "Singh", "Sinha",
	"Srinivasan", "Thakur", "Verma", "Yadav", "Banerjee", "Chopra", "Ghosh", "Naidu",
}

var emailDomains = []string{
	"gmail.com", "gmail.com", "gmail.com", "yahoo.co.in", "outlook.com", "hotmail.com",
	"rediffmail.com", "icloud.com", "proton.me",
}

var courseTitles = []string{
	"Stock Market Foundations", "Complete Python Bootcamp", "Instagram Growth Masterclass",
	"Mutual Funds Made Simple", "Spoken English in 30 Days", "Carnatic Vocals for Beginners",
	"UPSC Prelims Crash Course", "Digital Marketing Accelerator", "Yoga for Busy Professionals",
	"Options Trading Blueprint", "Canva Design Essentials", "Personal Finance 101",
}

var webinarTitles = []string{
	"Introduction to Digital Marketing", "Live Q&A: Building Your First Portfolio",
	"Weekly Market Outlook", "Morning Yoga Flow", "Resume Review Clinic",
	"Intro to Technical Analysis", "Content Creation Office Hours", "Mindful Money Habits",
}

var mangoTitles = []string{
	"Trading Community Pro", "Marketing Community", "Digital Course Hub", "Yoga Circle",
	"Career Launchpad", "Creators' Inner Circle", "Wealth Club", "Fitness Accountability Group",
}

var creatorSlugs = []string{
	"learnwithpriya", "marketmentor", "yogawithmeera", "growthschool", "financewala",
	"codewithrahul", "creatorlab", "thestudyhub",
}

var couponCodes = []string{"WELCOME10", "EARLYBIRD", "DIWALI20", "FIRST50", "SAVE15"}

var recurringTypes = []string{"monthly", "monthly", "quarterly", "halfyearly", "yearly", "weekly"}

// country is where a fake participant's phone number comes from.
type country struct {
	code     string // ISO 3166 alpha-2, as in the payloads' "country"
	dialCode string
	timezone string // UTC offset as the payloads write it
	// national builds a national significant number: first is the leading digits to
	// pick from, rest how many random digits follow.
	first string
	rest  int
}

var india = country{code: "IN", dialCode: "+91", timezone: "+05:30", first: "6789", rest: 9}

var otherCountries = []country{
	{code: "US", dialCode: "+1", timezone: "-05:00", first: "23456789", rest: 9},
	{code: "GB", dialCode: "+44", timezone: "+00:00", first: "7", rest: 9},
	{code: "AE", dialCode: "+971", timezone: "+04:00", first: "5", rest: 8},
	{code: "SG", dialCode: "+65", timezone: "+08:00", first: "89", rest: 7},
	{code: "AU", dialCode: "+61", timezone: "+10:00", first: "4", rest: 8},
	{code: "CA", dialCode: "+1", timezone: "-04:00", first: "23456789", rest: 9},
}

var internationalFirstNames = []string{
	"Emma", "Liam", "Olivia", "Noah", "Sophia", "Lucas", "Mia", "Elijah", "Amelia", "James",
	"Chloe", "Mateo", "Hannah", "Leon", "Amina", "Omar", "Fatima", "Yusuf", "Sofia", "Hugo",
	"Chen", "Wei", "Yuki", "Haruto", "Min-jun", "Seo-yeon", "Kwame", "Ama", "Thabo", "Zanele",
	"Lars", "Ingrid", "Pedro", "Camila", "Diego", "Valentina", "Ahmed", "Layla", "Nia", "Oscar",
}

var internationalLastNames = []string{
	"Smith", "Johnson", "Brown", "Garcia", "Martinez", "Müller", "Schmitt", "Dubois", "Rossi",
	"Silva", "Santos", "Kim", "Park", "Tanaka", "Sato", "Wang", "Li", "Nguyen", "Hassan",
	"Ali", "Okafor", "Mensah", "Dlamini", "Johansson", "Nielsen", "Kowalski", "Novak",
	"O'Brien", "Murphy", "Cohen", "Haddad", "Fernandes", "Lopez", "Wilson", "Taylor", "Clarke",
}

var words = []string{
	"alpha", "beacon", "canvas", "delta", "ember", "focus", "garden", "harbor", "insight",
	"journey", "kernel", "lantern", "momentum", "nexus", "orbit", "pulse", "quest", "ripple",
	"summit", "thrive", "unity", "vista", "wave", "zenith",
}
